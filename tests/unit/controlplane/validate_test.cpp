// Every rule validate_fault and validate_command enforce, one at a time.
#include "faultline/controlplane/validate.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>

#include "faultline/controlplane/client.h"
#include "test_support.h"

namespace faultline::cp {
namespace {

using abi::FaultKind;
using abi::FaultSpec;
using testing::latency_spec;

FaultSpec spec_of(FaultKind kind) {
  FaultSpec f = latency_spec("f-1");
  f.kind = static_cast<std::uint16_t>(kind);
  f.delay_ns = 0;
  switch (kind) {
    case FaultKind::kLatency:
    case FaultKind::kPqSlow:
    case FaultKind::kStall:
      f.delay_ns = 1'000'000;
      break;
    case FaultKind::kLoss:
      f.loss_ppm = 100'000;
      break;
    case FaultKind::kBandwidth:
      f.rate_bytes_per_s = 1'000'000;
      break;
    case FaultKind::kSlice:
      f.slice_max = 10;
      break;
    case FaultKind::kErrno:
      f.err = 4;
      break;
    case FaultKind::kDns:
      std::strcpy(f.host_glob, "*.example.com");
      f.dns_fail = 1;
      break;
    case FaultKind::kPqError:
      std::strcpy(f.sqlstate, "40001");
      break;
    default:
      break;
  }
  return f;
}

// The reason validate_fault gives for `f`, or "valid".
std::string verdict(const FaultSpec& f) {
  char reason[abi::kReasonLen] = {};
  return validate_fault(f, reason, sizeof(reason)) ? "valid" : reason;
}

std::string verdict(const abi::Command& c) {
  char reason[abi::kReasonLen] = {};
  return validate_command(c, reason, sizeof(reason)) ? "valid" : reason;
}

std::string modified(FaultKind kind, const std::function<void(FaultSpec&)>& change) {
  FaultSpec f = spec_of(kind);
  change(f);
  return verdict(f);
}

abi::Command numbered(abi::Command c) {
  c.seq = 1;
  return c;
}

TEST(ValidateFault, ShouldAcceptAMinimalFaultOfEveryKind) {
  for (auto k = 1; k < static_cast<int>(FaultKind::kCount); ++k)
    EXPECT_EQ(verdict(spec_of(static_cast<FaultKind>(k))), "valid")
        << fault_kind_name(static_cast<FaultKind>(k));
}

TEST(ValidateFault, ShouldRequireAPrintableTerminatedId) {
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.id[0] = '\0'; }), "id: empty");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { std::strcpy(f.id, "a b"); }),
            "id: byte 0x20 at 1 is not printable ASCII without spaces");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { std::strcpy(f.id, "a\x7f"); }),
            "id: byte 0x7f at 1 is not printable ASCII without spaces");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { std::memset(f.id, 'a', sizeof(f.id)); }),
            "id: not NUL-terminated within 32 bytes");
}

TEST(ValidateFault, ShouldRequireAKnownKind) {
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.kind = 0; }),
            "kind: 0 is not a fault kind (1..17)");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.kind = 18; }),
            "kind: 18 is not a fault kind (1..17)");
}

TEST(ValidateFault, ShouldBoundProbabilitiesToOneMillionPpm) {
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.pct_ppm = 1'000'000; }), "valid");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.pct_ppm = 1'000'001; }),
            "pct_ppm: 1000001 exceeds 1000000 (100%)");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.correlation_ppm = 2'000'000; }),
            "correlation_ppm: 2000000 exceeds 1000000 (100%)");
  EXPECT_EQ(modified(FaultKind::kLoss, [](FaultSpec& f) { f.loss_ppm = 1'000'001; }),
            "loss_ppm: 1000001 exceeds 1000000 (100%)");
  EXPECT_EQ(modified(FaultKind::kLoss, [](FaultSpec& f) { f.ge_p_ppm = 1'000'001; }),
            "ge_p_ppm: 1000001 exceeds 1000000 (100%)");
  EXPECT_EQ(modified(FaultKind::kLoss, [](FaultSpec& f) { f.ge_r_ppm = 1'000'001; }),
            "ge_r_ppm: 1000001 exceeds 1000000 (100%)");
  EXPECT_EQ(modified(FaultKind::kLoss, [](FaultSpec& f) { f.ge_1h_ppm = 1'000'001; }),
            "ge_1h_ppm: 1000001 exceeds 1000000 (100%)");
  EXPECT_EQ(modified(FaultKind::kLoss, [](FaultSpec& f) { f.ge_1k_ppm = 1'000'001; }),
            "ge_1k_ppm: 1000001 exceeds 1000000 (100%)");
}

TEST(ValidateFault, ShouldBoundLifetimes) {
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.for_ns = 0; }),
            "for_ns: 0 ns, expected 1..86400000000000 ns (86400 s)");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.for_ns = kMaxLifetimeNs; }), "valid");
  EXPECT_NE(modified(FaultKind::kLatency, [](FaultSpec& f) { f.for_ns = kMaxLifetimeNs + 1; }), "valid");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.after_ns = -1; }),
            "after_ns: -1 ns, expected 0..86400000000000 ns (86400 s)");
  EXPECT_NE(modified(FaultKind::kLatency, [](FaultSpec& f) { f.lease_ns = -5; }), "valid");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.lease_ns = 5'000'000'000; }), "valid");
}

TEST(ValidateFault, ShouldBoundDelaysToAnHour) {
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.delay_ns = kMaxDelayNs; }), "valid");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.delay_ns = kMaxDelayNs + 1; }),
            "delay_ns: 3600000000001 ns, expected 0..3600000000000 ns (3600 s)");
  EXPECT_NE(modified(FaultKind::kLatency, [](FaultSpec& f) { f.jitter_ns = -1; }), "valid");
  EXPECT_NE(modified(FaultKind::kLoss, [](FaultSpec& f) { f.rto_ns = kMaxDelayNs + 1; }), "valid");
}

TEST(ValidateFault, ShouldRequireKnownEnums) {
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.distribution = 4; }),
            "distribution: 4, expected 0..3");
  EXPECT_EQ(modified(FaultKind::kLoss, [](FaultSpec& f) { f.loss_model = 3; }),
            "loss_model: 3, expected 0..2");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.match.proto = 4; }),
            "match.proto: 4, expected 0..3");
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.match.dir = 3; }),
            "match.dir: 3, expected 0..2");
}

TEST(ValidateFault, ShouldRequireAKnownFamilyAndAFittingPrefix) {
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.match.family = 5; }),
            "match.family: 5, expected 0 (any), 4 or 6");
  EXPECT_EQ(modified(FaultKind::kLatency,
                     [](FaultSpec& f) {
                       f.match.family = 4;
                       f.match.prefix_len = 32;
                     }),
            "valid");
  EXPECT_EQ(modified(FaultKind::kLatency,
                     [](FaultSpec& f) {
                       f.match.family = 4;
                       f.match.prefix_len = 33;
                     }),
            "match.prefix_len: 33, expected at most 32 for family 4");
  EXPECT_EQ(modified(FaultKind::kLatency,
                     [](FaultSpec& f) {
                       f.match.family = 6;
                       f.match.prefix_len = 128;
                     }),
            "valid");
  EXPECT_NE(modified(FaultKind::kLatency,
                     [](FaultSpec& f) {
                       f.match.family = 6;
                       f.match.prefix_len = 129;
                     }),
            "valid");
  EXPECT_NE(modified(FaultKind::kLatency, [](FaultSpec& f) { f.match.prefix_len = 8; }), "valid");
}

TEST(ValidateFault, ShouldRequireTerminatedStrings) {
  EXPECT_EQ(
      modified(FaultKind::kDns, [](FaultSpec& f) { std::memset(f.host_glob, 'h', sizeof(f.host_glob)); }),
      "host_glob: not NUL-terminated within 64 bytes");
  EXPECT_EQ(
      modified(FaultKind::kPqError, [](FaultSpec& f) { std::memset(f.message, 'm', sizeof(f.message)); }),
      "message: not NUL-terminated within 128 bytes");
  EXPECT_EQ(
      modified(FaultKind::kLatency, [](FaultSpec& f) { std::memset(f.sqlstate, '4', sizeof(f.sqlstate)); }),
      "sqlstate: not NUL-terminated within 8 bytes");
  EXPECT_EQ(modified(FaultKind::kPqSlow,
                     [](FaultSpec& f) { std::memset(f.match.sql_regex, 'r', sizeof(f.match.sql_regex)); }),
            "match.sql_regex: not NUL-terminated within 160 bytes");
  // A regex is not compiled here: the target does that.
  EXPECT_EQ(modified(FaultKind::kPqSlow, [](FaultSpec& f) { std::strcpy(f.match.sql_regex, "(unbalanced"); }),
            "valid");
}

TEST(ValidateFault, ShouldRequireWhatEachKindNeeds) {
  EXPECT_EQ(modified(FaultKind::kLatency, [](FaultSpec& f) { f.delay_ns = 0; }),
            "latency: delay_ns or jitter_ns must be > 0");
  EXPECT_EQ(modified(FaultKind::kLatency,
                     [](FaultSpec& f) {
                       f.delay_ns = 0;
                       f.jitter_ns = 5;
                     }),
            "valid");
  EXPECT_EQ(modified(FaultKind::kLoss, [](FaultSpec& f) { f.loss_ppm = 0; }),
            "loss: loss_ppm must be > 0 unless loss_model is Gilbert-Elliott");
  EXPECT_EQ(modified(FaultKind::kLoss,
                     [](FaultSpec& f) {
                       f.loss_ppm = 0;
                       f.loss_model = static_cast<std::uint8_t>(abi::LossModel::kGilbertElliott);
                       f.ge_p_ppm = 10'000;
                     }),
            "valid");
  EXPECT_EQ(modified(FaultKind::kBandwidth, [](FaultSpec& f) { f.rate_bytes_per_s = 0; }),
            "bandwidth: rate_bytes_per_s must be > 0");
  EXPECT_EQ(modified(FaultKind::kSlice, [](FaultSpec& f) { f.slice_max = 0; }),
            "slice: slice_max must be > 0");
  EXPECT_EQ(modified(FaultKind::kPqSlow, [](FaultSpec& f) { f.delay_ns = 0; }),
            "pq-slow: delay_ns must be > 0");
  EXPECT_EQ(modified(FaultKind::kStall, [](FaultSpec& f) { f.delay_ns = 0; }), "stall: delay_ns must be > 0");
}

TEST(ValidateFault, ShouldAcceptOnlyRealErrnoValues) {
  EXPECT_EQ(modified(FaultKind::kErrno, [](FaultSpec& f) { f.err = 0; }),
            "errno: err must be an errno in 1..133");
  EXPECT_EQ(modified(FaultKind::kErrno, [](FaultSpec& f) { f.err = 133; }), "valid");
  EXPECT_EQ(modified(FaultKind::kErrno, [](FaultSpec& f) { f.err = 134; }),
            "err: 134, expected 0 (the kind's default) or an errno in 1..133");
  EXPECT_NE(modified(FaultKind::kErrno, [](FaultSpec& f) { f.err = -4; }), "valid");
  EXPECT_EQ(modified(FaultKind::kRefuse, [](FaultSpec& f) { f.err = 0; }), "valid");  // ECONNREFUSED
  EXPECT_EQ(modified(FaultKind::kRefuse, [](FaultSpec& f) { f.err = 113; }), "valid");
  EXPECT_NE(modified(FaultKind::kRefuse, [](FaultSpec& f) { f.err = 500; }), "valid");
}

TEST(ValidateFault, ShouldRequireAFiveCharacterSqlstate) {
  for (const char* good : {"40001", "40P01", "57P01", "53300"})
    EXPECT_EQ(modified(FaultKind::kPqError, [good](FaultSpec& f) { std::strcpy(f.sqlstate, good); }), "valid")
        << good;
  for (const char* bad : {"", "4000", "400011", "40p01", "40-01"})
    EXPECT_EQ(modified(FaultKind::kPqError, [bad](FaultSpec& f) { std::strcpy(f.sqlstate, bad); }),
              "pq-error: sqlstate must be 5 characters of 0-9 or A-Z")
        << bad;
}

TEST(ValidateFault, ShouldRequireAHostAndExactlyOneDnsEffect) {
  EXPECT_EQ(modified(FaultKind::kDns, [](FaultSpec& f) { f.host_glob[0] = '\0'; }),
            "dns: host_glob is empty");
  EXPECT_EQ(modified(FaultKind::kDns, [](FaultSpec& f) { f.dns_fail = 0; }),
            "dns: expected either delay_ns > 0 or dns_fail");
  EXPECT_EQ(modified(FaultKind::kDns, [](FaultSpec& f) { f.delay_ns = 5; }),
            "dns: expected either delay_ns > 0 or dns_fail");
  EXPECT_EQ(modified(FaultKind::kDns,
                     [](FaultSpec& f) {
                       f.dns_fail = 0;
                       f.delay_ns = 5;
                     }),
            "valid");
  EXPECT_EQ(modified(FaultKind::kDns, [](FaultSpec& f) { f.dns_fail = 2; }), "dns_fail: 2, expected 0 or 1");
}

TEST(ValidateFault, ShouldTruncateTheReasonToTheCallersBuffer) {
  FaultSpec f = spec_of(FaultKind::kLatency);
  f.kind = 99;
  char reason[8];
  std::memset(reason, 'z', sizeof(reason));
  EXPECT_FALSE(validate_fault(f, reason, sizeof(reason)));
  EXPECT_STREQ(reason, "kind: 9");
  EXPECT_FALSE(validate_fault(f, nullptr, 0));
}

TEST(ValidateCommand, ShouldAcceptEveryWellFormedCommand) {
  EXPECT_EQ(verdict(numbered(make_inject(spec_of(FaultKind::kLatency)))), "valid");
  EXPECT_EQ(verdict(numbered(make_clear("f-1"))), "valid");
  EXPECT_EQ(verdict(numbered(make_clear_all())), "valid");
  EXPECT_EQ(verdict(numbered(make_renew_lease("f-1", 1'000'000'000))), "valid");
  EXPECT_EQ(verdict(numbered(make_renew_lease("", 1'000'000'000))), "valid");
  EXPECT_EQ(verdict(numbered(make_telemetry(true))), "valid");
}

TEST(ValidateCommand, ShouldRejectSeqZero) {
  EXPECT_EQ(verdict(make_clear_all()), "seq: 0 (commands are numbered from 1 by the submitting tool)");
}

TEST(ValidateCommand, ShouldRejectAnUnknownOp) {
  abi::Command c = numbered(make_clear_all());
  c.op = 0;
  EXPECT_EQ(verdict(c), "op: 0 is not a command (1..5)");
  c.op = 6;
  EXPECT_EQ(verdict(c), "op: 6 is not a command (1..5)");
}

TEST(ValidateCommand, ShouldRequireATargetIdToClear) {
  EXPECT_EQ(verdict(numbered(make_clear(""))), "target_id: empty");
  abi::Command c = numbered(make_clear("x"));
  std::memset(c.target_id, 'x', sizeof(c.target_id));
  EXPECT_EQ(verdict(c), "target_id: not NUL-terminated within 32 bytes");
}

TEST(ValidateCommand, ShouldRequireAPositiveLeaseToRenew) {
  EXPECT_EQ(verdict(numbered(make_renew_lease("f-1", 0))),
            "lease_ns: 0 ns, expected 1..86400000000000 ns (86400 s)");
  EXPECT_NE(verdict(numbered(make_renew_lease("bad id", 1000))), "valid");
}

TEST(ValidateCommand, ShouldRejectUnknownFlags) {
  abi::Command t = numbered(make_telemetry(true));
  t.flags = 3;
  EXPECT_EQ(verdict(t), "flags: 0x3 has unknown bits");
  abi::Command c = numbered(make_clear_all());
  c.flags = 1;
  EXPECT_EQ(verdict(c), "flags: 0x1 has unknown bits");
}

TEST(ValidateCommand, ShouldValidateTheFaultOfAnInject) {
  FaultSpec f = spec_of(FaultKind::kLatency);
  f.pct_ppm = 2'000'000;
  EXPECT_EQ(verdict(numbered(make_inject(f))), "pct_ppm: 2000000 exceeds 1000000 (100%)");
}

TEST(ValidateCommand, ShouldRejectANegativeSubmitTime) {
  abi::Command c = numbered(make_clear_all());
  c.submit_mono_ns = -1;
  EXPECT_EQ(verdict(c), "submit_mono_ns: negative");
}

TEST(Names, ShouldRoundTripEveryFaultKindThroughItsCliName) {
  const char* expected[] = {"latency", "loss",     "reset",     "blackhole", "refuse",   "bandwidth",
                            "slice",   "corrupt",  "duplicate", "reorder",   "errno",    "dns",
                            "stall",   "pq-sever", "pq-slow",   "pq-error",  "pq-refuse"};
  for (int k = 1; k < static_cast<int>(FaultKind::kCount); ++k) {
    const auto kind = static_cast<FaultKind>(k);
    EXPECT_STREQ(fault_kind_name(kind), expected[k - 1]);
    FaultKind parsed = FaultKind::kNone;
    ASSERT_TRUE(parse_fault_kind(expected[k - 1], &parsed));
    EXPECT_EQ(parsed, kind);
  }
  FaultKind parsed = FaultKind::kNone;
  EXPECT_FALSE(parse_fault_kind("none", &parsed));
  EXPECT_FALSE(parse_fault_kind("Latency", &parsed));
  EXPECT_FALSE(parse_fault_kind("", &parsed));
  EXPECT_FALSE(parse_fault_kind(nullptr, &parsed));
  EXPECT_STREQ(fault_kind_name(FaultKind::kNone), "unknown");
  EXPECT_STREQ(fault_kind_name(FaultKind::kCount), "unknown");
}

TEST(Names, ShouldNameCallClassesAndEventTypes) {
  EXPECT_STREQ(call_class_name(abi::CallClass::kTcpConnect), "tcp_connect");
  EXPECT_STREQ(call_class_name(abi::CallClass::kUdpRecv), "udp_recv");
  EXPECT_STREQ(call_class_name(abi::CallClass::kPqRoundTrip), "pq_round_trip");
  EXPECT_STREQ(call_class_name(abi::CallClass::kInjectedDelay), "injected_delay");
  EXPECT_STREQ(call_class_name(abi::CallClass::kCount), "unknown");
  EXPECT_STREQ(event_type_name(abi::EventType::kFaultFired), "fault_fired");
  EXPECT_STREQ(event_type_name(abi::EventType::kCommandRejected), "command_rejected");
  EXPECT_STREQ(event_type_name(abi::EventType::kCount), "unknown");
}

}  // namespace
}  // namespace faultline::cp
