#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <regex>

#include "error_of.h"
#include "faultline/cli/fault.h"
#include "faultline/controlplane/validate.h"

namespace faultline::cli {
namespace {

using abi::FaultKind;
using test::error_of;

TEST(FaultBuilder, ShouldBuildLatencyWithEveryParameter) {
  const abi::FaultSpec s = build_fault("latency", {{"delay", "200ms"},
                                                   {"jitter", "50ms"},
                                                   {"correlation", "75"},
                                                   {"distribution", "normal"},
                                                   {"for", "30s"},
                                                   {"after", "1s"},
                                                   {"pct", "50"},
                                                   {"max-hits", "100"},
                                                   {"seed", "42"},
                                                   {"id", "lat-test"}});
  EXPECT_EQ(s.kind, static_cast<std::uint16_t>(FaultKind::kLatency));
  EXPECT_EQ(s.delay_ns, 200'000'000);
  EXPECT_EQ(s.jitter_ns, 50'000'000);
  EXPECT_EQ(s.correlation_ppm, 750'000u);
  EXPECT_EQ(s.distribution, static_cast<std::uint8_t>(abi::Distribution::kNormal));
  EXPECT_EQ(s.for_ns, 30'000'000'000);
  EXPECT_EQ(s.after_ns, 1'000'000'000);
  EXPECT_EQ(s.pct_ppm, 500'000u);
  EXPECT_EQ(s.max_hits, 100u);
  EXPECT_EQ(s.seed, 42u);
  EXPECT_STREQ(s.id, "lat-test");
}

TEST(FaultBuilder, ShouldApplyDefaultsOfSixtySecondsAlwaysAndAGeneratedId) {
  const abi::FaultSpec s = build_fault("latency", {{"delay", "1ms"}});
  EXPECT_EQ(s.for_ns, kDefaultForNs);
  EXPECT_EQ(s.for_ns, 60'000'000'000);
  EXPECT_EQ(s.pct_ppm, kPpm);
  EXPECT_EQ(s.after_ns, 0);
  EXPECT_EQ(s.lease_ns, 0);
  EXPECT_EQ(s.seed, 0u);
  EXPECT_TRUE(std::regex_match(s.id, std::regex("lat-[0-9a-f]{4}"))) << s.id;
}

TEST(FaultBuilder, ShouldMapLossPctToTheLossRateAndAffectEveryCall) {
  const abi::FaultSpec s = build_fault("loss", {{"pct", "5"}});
  EXPECT_EQ(s.kind, static_cast<std::uint16_t>(FaultKind::kLoss));
  EXPECT_EQ(s.loss_ppm, 50'000u);
  EXPECT_EQ(s.pct_ppm, kPpm);
  EXPECT_EQ(s.loss_model, static_cast<std::uint8_t>(abi::LossModel::kBernoulli));
  EXPECT_EQ(s.rto_ns, kDefaultRtoNs);
}

TEST(FaultBuilder, ShouldSelectCorrelatedLossWithCorrelation) {
  const abi::FaultSpec s = build_fault("loss", {{"pct", "10"}, {"correlation", "25"}, {"rto", "50ms"}});
  EXPECT_EQ(s.loss_model, static_cast<std::uint8_t>(abi::LossModel::kCorrelated));
  EXPECT_EQ(s.correlation_ppm, 250'000u);
  EXPECT_EQ(s.rto_ns, 50'000'000);
}

TEST(FaultBuilder, ShouldSelectGilbertElliottWithGemodel) {
  const abi::FaultSpec s = build_fault("loss", {{"gemodel", "1,30,100,0"}});
  EXPECT_EQ(s.loss_model, static_cast<std::uint8_t>(abi::LossModel::kGilbertElliott));
  EXPECT_EQ(s.ge_p_ppm, 10'000u);
  EXPECT_EQ(s.ge_r_ppm, 300'000u);
  EXPECT_EQ(s.ge_1h_ppm, 1'000'000u);
  EXPECT_EQ(s.ge_1k_ppm, 0u);
  EXPECT_EQ(s.pct_ppm, kPpm);
}

TEST(FaultBuilder, ShouldRequireExactlyOneLossRate) {
  EXPECT_EQ(error_of([] { build_fault("loss", {}); }),
            "loss needs --pct P (the loss probability) or --gemodel p,r,1-h,1-k: expected e.g. loss --pct 5");
  EXPECT_NE(error_of([] { build_fault("loss", {{"pct", "5"}, {"gemodel", "1"}}); }), "");
  EXPECT_NE(error_of([] { build_fault("loss", {{"gemodel", "1"}, {"correlation", "5"}}); }), "");
}

TEST(FaultBuilder, ShouldListKnownFaultsForAnUnknownOne) {
  EXPECT_EQ(
      error_of([] { build_fault("latncy", {}); }),
      "unknown fault 'latncy': expected one of latency, loss, reset, blackhole, refuse, bandwidth, slice, "
      "corrupt, duplicate, reorder, errno, dns, stall, pq-sever, pq-slow, pq-error, pq-refuse");
}

TEST(FaultBuilder, ShouldRejectAnOptionOfAnotherKind) {
  EXPECT_EQ(
      error_of([] {
        build_fault("latency", {{"delay", "1ms"}, {"rate", "1MB/s"}});
      }),
      "--rate does not apply to latency: expected --delay, --jitter, --correlation, --distribution, --dst, "
      "--src-port, --proto, --dir or the common options (see faultline inject --help)");
  EXPECT_NE(error_of([] { build_fault("reset", {{"sql", "^SELECT"}}); }), "");
  EXPECT_NE(error_of([] { build_fault("pq-sever", {{"dst", "10.0.0.0/8"}}); }), "");
}

TEST(FaultBuilder, ShouldNameTheMissingRequiredOption) {
  EXPECT_EQ(error_of([] {
              build_fault("latency", {{"jitter", "1ms"}});
            }),
            "latency needs --delay: expected e.g. latency --delay 200ms --jitter 50ms");
  EXPECT_NE(error_of([] { build_fault("bandwidth", {}); }).find("needs --rate"), std::string::npos);
  EXPECT_NE(error_of([] { build_fault("pq-error", {}); }).find("needs --sqlstate"), std::string::npos);
}

TEST(FaultBuilder, ShouldPassBadValuesErrorsThrough) {
  EXPECT_EQ(
      error_of([] {
        build_fault("latency", {{"delay", "abc"}});
      }),
      "invalid duration 'abc' for --delay: expected a number with a unit (ns, us, ms, s, m, h), e.g. 200ms");
  EXPECT_NE(error_of([] {
              build_fault("latency", {{"delay", "1ms"}, {"distribution", "gauss"}, {"jitter", "1ms"}});
            }).find("expected uniform, normal, pareto or paretonormal"),
            std::string::npos);
  EXPECT_NE(error_of([] { build_fault("latency", {{"delay", "1ms"}, {"proto", "sctp"}}); }), "");
  EXPECT_NE(error_of([] { build_fault("latency", {{"delay", "1ms"}, {"dir", "up"}}); }), "");
}

TEST(FaultBuilder, ShouldRejectCorrelationOrDistributionWithoutJitter) {
  EXPECT_EQ(error_of([] {
              build_fault("latency", {{"delay", "1ms"}, {"correlation", "50"}});
            }),
            "--correlation needs --jitter: expected e.g. --delay 200ms --jitter 50ms --correlation 75");
  EXPECT_NE(error_of([] { build_fault("latency", {{"delay", "1ms"}, {"distribution", "normal"}}); }), "");
}

TEST(FaultBuilder, ShouldRejectZeroTtlZeroHitsZeroSeedAndEmptyLatency) {
  EXPECT_NE(error_of([] { build_fault("latency", {{"delay", "1ms"}, {"for", "0"}}); }), "");
  EXPECT_NE(error_of([] { build_fault("latency", {{"delay", "1ms"}, {"max-hits", "0"}}); }), "");
  EXPECT_NE(error_of([] { build_fault("latency", {{"delay", "1ms"}, {"seed", "0"}}); }), "");
  EXPECT_NE(error_of([] { build_fault("latency", {{"delay", "0"}}); }), "");
}

TEST(FaultBuilder, ShouldRejectMalformedIds) {
  EXPECT_EQ(error_of([] {
              build_fault("reset", {{"id", "a b"}});
            }),
            "invalid fault id 'a b' for --id: expected 1 to 31 letters, digits, '.', '_' or '-'");
  EXPECT_NE(error_of([] { build_fault("reset", {{"id", std::string(32, 'x')}}); }), "");
  EXPECT_NE(error_of([] { build_fault("reset", {{"id", ""}}); }), "");
}

TEST(FaultBuilder, ShouldFillTheMatch) {
  const abi::FaultSpec s = build_fault(
      "reset", {{"dst", "10.1.0.0/16:5432"}, {"src-port", "4000"}, {"proto", "tcp"}, {"dir", "egress"}});
  EXPECT_EQ(s.match.family, 4);
  EXPECT_EQ(s.match.prefix_len, 16);
  EXPECT_EQ(s.match.dst_port, 5432);
  EXPECT_EQ(s.match.src_port, 4000);
  EXPECT_EQ(s.match.proto, static_cast<std::uint8_t>(abi::Proto::kTcp));
  EXPECT_EQ(s.match.dir, static_cast<std::uint8_t>(abi::Direction::kEgress));
  in_addr a{};
  inet_pton(AF_INET, "10.1.0.0", &a);
  EXPECT_EQ(std::memcmp(s.match.addr, &a, 4), 0);
}

TEST(FaultBuilder, ShouldFillLibpqMatchAndRejectABadRegex) {
  const abi::FaultSpec s = build_fault("pq-slow", {{"delay", "200ms"}, {"sql", "^INSERT"}, {"db", "trades"}});
  EXPECT_STREQ(s.match.sql_regex, "^INSERT");
  EXPECT_STREQ(s.match.db, "trades");
  EXPECT_EQ(s.delay_ns, 200'000'000);
  EXPECT_NE(error_of([] {
              build_fault("pq-slow", {{"delay", "1ms"}, {"sql", "(unclosed"}});
            }).find("invalid regex"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              build_fault("pq-sever", {{"db", std::string(abi::kDbLen, 'd')}});
            }).find("too long"),
            std::string::npos);
}

TEST(FaultBuilder, ShouldBuildTheOtherSocketKinds) {
  EXPECT_EQ(build_fault("refuse", {}).err, ECONNREFUSED);
  EXPECT_EQ(build_fault("refuse", {{"errno", "ETIMEDOUT"}}).err, ETIMEDOUT);
  EXPECT_EQ(build_fault("bandwidth", {{"rate", "10Mbit/s"}}).rate_bytes_per_s, 1'250'000u);
  EXPECT_EQ(build_fault("slice", {{"max", "16"}}).slice_max, 16u);
  EXPECT_EQ(build_fault("corrupt", {{"pct", "5"}}).pct_ppm, 50'000u);
  EXPECT_EQ(build_fault("duplicate", {{"pct", "1"}}).pct_ppm, 10'000u);
  EXPECT_EQ(build_fault("reorder", {{"pct", "5"}}).gap, 1u);
  EXPECT_EQ(build_fault("reorder", {{"pct", "5"}, {"gap", "3"}}).gap, 3u);
  const abi::FaultSpec e = build_fault("errno", {{"errno", "EAGAIN"}, {"pct", "10"}});
  EXPECT_EQ(e.err, EAGAIN);
  EXPECT_EQ(e.pct_ppm, 100'000u);
  EXPECT_EQ(build_fault("stall", {{"delay", "1s"}}).delay_ns, 1'000'000'000);
  EXPECT_EQ(build_fault("blackhole", {}).kind, static_cast<std::uint16_t>(FaultKind::kBlackhole));
  EXPECT_NE(error_of([] { build_fault("slice", {{"max", "0"}}); }), "");
}

TEST(FaultBuilder, ShouldTakeExactlyOneOfDnsDelayAndFail) {
  const abi::FaultSpec fail = build_fault("dns", {{"host", "*.example.com"}, {"fail", ""}});
  EXPECT_STREQ(fail.host_glob, "*.example.com");
  EXPECT_EQ(fail.dns_fail, 1u);
  const abi::FaultSpec slow = build_fault("dns", {{"host", "db"}, {"delay", "2s"}});
  EXPECT_EQ(slow.dns_fail, 0u);
  EXPECT_EQ(slow.delay_ns, 2'000'000'000);
  EXPECT_EQ(error_of([] {
              build_fault("dns", {{"host", "db"}});
            }),
            "dns takes one of --delay D or --fail: expected e.g. dns --host db.internal --fail");
  EXPECT_NE(error_of([] { build_fault("dns", {{"host", "db"}, {"delay", "1s"}, {"fail", ""}}); }), "");
}

TEST(FaultBuilder, ShouldBuildLibpqErrorsWithAValidSqlstate) {
  const abi::FaultSpec s = build_fault("pq-error", {{"sqlstate", "40P01"}, {"message", "deadlock detected"}});
  EXPECT_STREQ(s.sqlstate, "40P01");
  EXPECT_STREQ(s.message, "deadlock detected");
  EXPECT_EQ(error_of([] {
              build_fault("pq-error", {{"sqlstate", "4001"}});
            }),
            "invalid SQLSTATE '4001' for --sqlstate: expected 5 digits or capital letters, e.g. 40001, "
            "40P01, 57P01, "
            "53300");
  EXPECT_EQ(build_fault("pq-refuse", {{"db", "trades"}}).kind,
            static_cast<std::uint16_t>(FaultKind::kPqRefuse));
  EXPECT_EQ(build_fault("pq-sever", {}).kind, static_cast<std::uint16_t>(FaultKind::kPqSever));
}

TEST(FaultBuilder, ShouldCarryTheLease) {
  EXPECT_EQ(build_fault("reset", {{"lease", "3s"}}).lease_ns, 3'000'000'000);
  EXPECT_NE(error_of([] { build_fault("reset", {{"lease", "0"}}); }), "");
}

TEST(FaultBuilder, ShouldProduceFaultsTheTargetsValidatorAccepts) {
  const abi::FaultSpec s =
      build_fault("latency", {{"delay", "200ms"}, {"jitter", "50ms"}, {"correlation", "75"}});
  char reason[abi::kReasonLen] = {};
  EXPECT_TRUE(cp::validate_fault(s, reason, sizeof reason)) << reason;
}

TEST(FaultIdGenerator, ShouldAvoidTakenIds) {
  std::set<std::string> taken;
  for (int i = 0; i < 200; ++i) {
    const std::string id = generate_fault_id(FaultKind::kLoss, taken);
    EXPECT_EQ(taken.count(id), 0u);
    EXPECT_EQ(id.rfind("loss-", 0), 0u);
    taken.insert(id);
  }
}

}  // namespace
}  // namespace faultline::cli
