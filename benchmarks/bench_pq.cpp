// libpq through libfaultline.so: a SELECT 1 loop's queries per second in
// three client processes side by side, against a throwaway PostgreSQL 15
// (scripts/pg-temp.sh):
//   none   no preload
//   idle   the preload, nothing armed (the wrappers' one-load idle path)
//   armed  the preload with a pq-error armed for another statement
//          (--sql '^INSERT'): every SELECT 1 is decided and not matched
// Batches of kBatch queries go to the three in turn, so drift of a shared
// machine hits all three alike (the order rotates each round). Reported:
// queries/s of each, and the medians over rounds of the per-round ratios
// idle/none and armed/none (SPEC: libpq idle >= 99%).
//
// The clients are this binary re-executed with --client DSN.
//
// BM_DecidePq times the decision alone, in-process, with a --sql fault armed
// for another statement.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "faultline/controlplane/client.h"
#include "faultline/shim/plan_manager.h"
#include "faultline/shim/pq_engine.h"
#include "faultline/testing/process.h"
#include "faultline/testing/targets.h"
#include "support/bench_support.h"

namespace {

using namespace std::chrono_literals;
constexpr int kBatch = 500;

std::int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// --client DSN: "ready", then per "N" line runs N SELECT 1 and prints the ns.
int client_main(const char* dsn) {
  PGconn* conn = PQconnectdb(dsn);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::cerr << "bench_pq client: " << PQerrorMessage(conn);
    return 1;
  }
  std::cout << "ready" << std::endl;
  long n = 0;
  while (std::cin >> n) {
    const std::int64_t t0 = mono_ns();
    for (long i = 0; i < n; ++i) {
      PGresult* r = PQexec(conn, "SELECT 1");
      if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        std::cerr << "bench_pq client: " << PQresultErrorMessage(r);
        return 1;
      }
      PQclear(r);
    }
    std::cout << mono_ns() - t0 << std::endl;
  }
  PQfinish(conn);
  return 0;
}

std::string run_script(const std::string& args) {
  const std::string command = "bash " + std::string(FAULTLINE_SOURCE_DIR) + "/scripts/pg-temp.sh " + args;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out;
  std::array<char, 256> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) out += buffer.data();
  if (::pclose(pipe) != 0) throw std::runtime_error(command + " failed");
  return out;
}

class Server {
 public:
  Server() {
    char dir[] = "/tmp/bench-pq.XXXXXX";
    if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    const std::string out = run_script("start " + dir_);
    const auto at = out.find("DSN=");
    if (at == std::string::npos) throw std::runtime_error("pg-temp.sh printed no DSN");
    dsn_ = out.substr(at + 4, out.find('\n', at) - at - 4);
  }
  ~Server() {
    try {
      run_script("stop " + dir_);
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
    }
  }
  const std::string& dsn() const { return dsn_; }

 private:
  std::string dir_, dsn_;
};

struct Client {
  faultline::testing::Process process;

  static Client start(const std::string& self, const std::string& dsn, bool preload) {
    faultline::testing::SpawnOptions options;
    options.preload = preload;
    Client c{faultline::testing::Process::spawn({self, "--client", dsn}, options.with_stdin())};
    const auto ready = c.process.read_line(30s);
    if (!ready || *ready != "ready") throw std::runtime_error("bench_pq client did not start");
    return c;
  }
  std::int64_t batch(int n) {
    process.write_stdin(std::to_string(n) + "\n");
    const auto line = process.read_line(60s);
    if (!line) throw std::runtime_error("bench_pq client stopped answering");
    return std::stoll(*line);
  }
};

struct Setup {
  std::string self;
  std::unique_ptr<Server> server;
  std::optional<Client> none, idle, armed;
};
Setup g_setup;

// A pq error fault (SQLSTATE 40001) on statements matching `sql_regex`,
// every time, for an hour.
faultline::abi::FaultSpec serialization_failure(const char* id, const char* sql_regex) {
  faultline::abi::FaultSpec f{};
  std::strncpy(f.id, id, sizeof f.id - 1);
  f.kind = static_cast<std::uint16_t>(faultline::abi::FaultKind::kPqError);
  f.pct_ppm = 1'000'000;
  f.for_ns = 3600LL * 1'000'000'000;
  f.seed = 1;
  std::strncpy(f.sqlstate, "40001", sizeof f.sqlstate - 1);
  std::strncpy(f.match.sql_regex, sql_regex, sizeof f.match.sql_regex - 1);
  return f;
}

void arm_other_statement(pid_t pid) {
  std::string reason;
  std::optional<faultline::cp::Client> control = faultline::testing::wait_for_segment(pid, 5s, &reason);
  if (!control) throw std::runtime_error("armed client: " + reason);
  const faultline::cp::AckResult ack =
      control->request(faultline::cp::make_inject(serialization_failure("other-statement", "^INSERT")), 5s);
  if (ack.status != faultline::abi::AckStatus::kApplied) throw std::runtime_error("inject: " + ack.reason);
}

void BM_SelectOneLoop(benchmark::State& state) {
  std::array<std::int64_t, 3> total{};
  std::array<Client*, 3> clients{&*g_setup.none, &*g_setup.idle, &*g_setup.armed};
  std::vector<double> idle_ratio, armed_ratio;  // per round: a drift shared by the round cancels
  for (Client* c : clients) c->batch(kBatch);   // warm-up
  std::size_t first = 0;
  for (auto _ : state) {
    std::array<std::int64_t, 3> ns{};
    for (std::size_t k = 0; k < clients.size(); ++k) {  // rotating order: no client always goes first
      const std::size_t i = (first + k) % clients.size();
      ns[i] = clients[i]->batch(kBatch);
      total[i] += ns[i];
    }
    first = (first + 1) % clients.size();
    idle_ratio.push_back(static_cast<double>(ns[0]) / static_cast<double>(ns[1]));
    armed_ratio.push_back(static_cast<double>(ns[0]) / static_cast<double>(ns[2]));
    state.SetIterationTime(static_cast<double>(ns[0] + ns[1] + ns[2]) / 1e9);
  }
  const double queries = static_cast<double>(state.iterations()) * kBatch;
  const auto qps = [&](std::size_t i) {
    return total[i] > 0 ? queries / (static_cast<double>(total[i]) / 1e9) : 0;
  };
  state.counters["qps_none"] = qps(0);
  state.counters["qps_idle"] = qps(1);
  state.counters["qps_armed_other"] = qps(2);
  // Throughput relative to no preload, median over rounds.
  state.counters["idle_vs_none"] = faultline::bench::percentile(idle_ratio, 0.5);
  state.counters["armed_vs_none"] = faultline::bench::percentile(armed_ratio, 0.5);
  state.SetItemsProcessed(static_cast<std::int64_t>(queries) * 3);
}
BENCHMARK(BM_SelectOneLoop)->UseManualTime()->Unit(benchmark::kMillisecond)->MinTime(3.0);

// The decision alone, in-process: what one libpq statement pays in the
// wrapper when a pq fault with --sql is armed for another statement (the
// pattern searched, no match), against the same with no fault armed.
faultline::cp::ApplyResult arm(faultline::shim::PlanManager& m, const char* pattern) {
  faultline::abi::Command c{};
  c.seq = 1;
  c.op = static_cast<std::uint16_t>(faultline::abi::CommandOp::kInject);
  c.fault = serialization_failure("other", pattern);
  return m.apply(c, mono_ns());
}

void BM_DecidePq(benchmark::State& state, const char* pattern, const char* sql) {
  faultline::shim::PlanManager manager;
  if (pattern != nullptr && !arm(manager, pattern).applied) {
    state.SkipWithError("cannot arm the fault");
    return;
  }
  faultline::shim::PqCall call;
  call.sql = sql;
  call.sql_known = true;
  call.db = "trading";
  for (auto _ : state) {
    faultline::shim::PqVerdict v = faultline::shim::decide_pq(call);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK_CAPTURE(BM_DecidePq, nothing_armed, nullptr, "SELECT 1");
BENCHMARK_CAPTURE(BM_DecidePq, other_statement_select1, "^INSERT", "SELECT 1");
BENCHMARK_CAPTURE(
    BM_DecidePq, other_statement_200B, "INSERT INTO trades",
    "SELECT t.id, t.symbol, t.side, t.qty, t.price, t.created_at FROM trades t WHERE t.symbol = $1 "
    "AND t.created_at > now() - interval '5 minutes' ORDER BY t.created_at DESC LIMIT 100");

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--client") == 0) return client_main(argv[2]);
  try {
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw std::runtime_error("cannot read /proc/self/exe");
    g_setup.self.assign(self, static_cast<std::size_t>(n));
    g_setup.server = std::make_unique<Server>();
    g_setup.none.emplace(Client::start(g_setup.self, g_setup.server->dsn(), false));
    g_setup.idle.emplace(Client::start(g_setup.self, g_setup.server->dsn(), true));
    g_setup.armed.emplace(Client::start(g_setup.self, g_setup.server->dsn(), true));
    arm_other_statement(g_setup.armed->process.pid());
  } catch (const std::exception& e) {
    std::cerr << "bench_pq: " << e.what() << "\n";
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_setup.none.reset();
  g_setup.idle.reset();
  g_setup.armed.reset();
  g_setup.server.reset();
  return 0;
}
