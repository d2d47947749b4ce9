// tools/demo/stack.sh: the whole stack comes up healthy under the preload,
// serves, and goes away completely (processes, ports, the temporary
// database) when stopped, interrupted while starting, or done with its
// command.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "demo_processes.h"
#include "faultline/testing/process.h"

namespace faultline::demo {
namespace {

using namespace std::chrono_literals;
using faultline::testing::Process;
using faultline::testing::SpawnOptions;
using namespace faultline::demo::testing;
namespace fs = std::filesystem;

// Ports the stack takes from its base (see stack.sh).
std::vector<std::uint16_t> stack_tcp_ports(std::uint16_t base) {
  return {base, static_cast<std::uint16_t>(base + 80), static_cast<std::uint16_t>(base + 81),
          static_cast<std::uint16_t>(base + 82), static_cast<std::uint16_t>(base + 83)};
}

// A base whose ports are free, below PostgreSQL's (pg-temp.sh: 20000+) and
// the kernel's ephemeral ranges.
std::uint16_t free_port_base() {
  std::mt19937 random(static_cast<unsigned>(getpid()));
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto base = static_cast<std::uint16_t>(10000 + random() % 9000);
    bool all_free = true;
    for (const auto port : stack_tcp_ports(base)) all_free = all_free && tcp_port_free(port);
    if (all_free) return base;
  }
  return 0;
}

// Every process whose parent chain leads to `root`, from /proc.
std::set<pid_t> descendants(pid_t root) {
  std::map<pid_t, pid_t> parent;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    std::getline(stat, text);
    const auto close_paren = text.rfind(')');
    if (close_paren == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    std::sscanf(text.c_str() + close_paren + 1, " %c %d", &state, &ppid);
    parent[std::stoi(name)] = ppid;
  }
  std::set<pid_t> found;
  for (const auto& [pid, ppid] : parent) {
    for (pid_t up = ppid; up > 1; up = parent.count(up) ? parent[up] : 0) {
      if (up == root) {
        found.insert(pid);
        break;
      }
    }
  }
  return found;
}

std::map<std::string, std::string> read_stack_env(const fs::path& file) {
  std::map<std::string, std::string> env;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    const auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string value = line.substr(equals + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
      value = value.substr(1, value.size() - 2);
    env[line.substr(0, equals)] = value;
  }
  return env;
}

class DemoStack : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = free_port_base();
    ASSERT_NE(base_, 0) << "no free port range for the stack";
    char pattern[] = "/tmp/faultline-demo-stack-test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    work_ = pattern;
    chmod(work_.c_str(), 0755);  // the database's own user must reach its folder
    fs::create_directories(work_ / "pg");
    chmod((work_ / "pg").c_str(), 0755);
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(work_, ignored);
  }

  Process start(const std::vector<std::string>& command = {}) {
    std::vector<std::string> argv = {"/bin/bash", std::string(FAULTLINE_SOURCE_DIR) + "/tools/demo/stack.sh",
                                     FAULTLINE_BUILD_DIR, (work_ / "out").string()};
    if (!command.empty()) {
      argv.push_back("--");
      argv.insert(argv.end(), command.begin(), command.end());
    }
    return Process::spawn(argv, SpawnOptions()
                                    .without_preload()
                                    .with_env("FAULTLINE_DEMO_PORT_BASE=" + std::to_string(base_))
                                    .with_env("FAULTLINE_DEMO_PG_PARENT=" + (work_ / "pg").string())
                                    .with_env("FAULTLINE_DEMO_FEED_RATE=500"));
  }

  // Reads stdout until the ready line; false if the stack exited or took too long.
  static bool wait_ready(Process& stack) {
    while (const auto line = stack.read_line(120s)) {
      if (line->rfind("stack: ready", 0) == 0) return true;
    }
    return false;
  }

  // Checks, then removes what survived so a failing run leaves no orphans.
  void expect_nothing_left(const std::set<pid_t>& processes) {
    for (const pid_t pid : processes) {
      EXPECT_TRUE(process_gone(pid)) << "process " << pid << " survived the stack";
      if (!process_gone(pid)) kill(pid, SIGKILL);
    }
    for (const auto port : stack_tcp_ports(base_))
      EXPECT_TRUE(tcp_port_free(port)) << "port " << port << " still taken";
    EXPECT_TRUE(fs::is_empty(work_ / "pg")) << "the temporary database folder was not removed";
    EXPECT_FALSE(fs::exists(work_ / "out" / "stack.env"));
  }

  std::uint16_t base_ = 0;
  fs::path work_;
};

TEST_F(DemoStack, ShouldServeMarketDataAndOrdersThenLeaveNothingBehindOnSigterm) {
  Process stack = start();
  ASSERT_TRUE(wait_ready(stack)) << "the stack did not come up; logs in " << (work_ / "out" / "logs");
  const auto env = read_stack_env(work_ / "out" / "stack.env");
  ASSERT_TRUE(env.count("FAULTLINE_DEMO_PG_DIR"));

  const auto latest = http_get(base_, "/api/market-data/latest");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->status, 200);
  EXPECT_LT(latest->body["age_ms"].get<double>(), 5000.0);
  const auto order = http_post(static_cast<std::uint16_t>(base_ + 80), "/api/orders",
                               R"({"symbol":"AAPL","side":"buy","qty":100,"price":187.25})");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->status, 201) << order->body.dump();
  const auto replicas = http_get(static_cast<std::uint16_t>(base_ + 80), "/api/replicas");
  ASSERT_EQ(replicas->body["replicas"].size(), 3u);
  for (const auto& replica : replicas->body["replicas"])
    EXPECT_EQ(replica["healthy"], true) << replica.dump();

  std::set<pid_t> processes = descendants(stack.pid());
  EXPECT_GE(processes.size(), 7u) << "feed, market data, gateway, supervisor, 3 replicas";
  std::ifstream postmaster(fs::path(env.at("FAULTLINE_DEMO_PG_DIR")) / "data" / "postmaster.pid");
  pid_t postgres = 0;
  postmaster >> postgres;
  ASSERT_GT(postgres, 0);
  processes.insert(postgres);

  EXPECT_TRUE(faultline::testing::exited_with(stack.kill_and_reap(SIGTERM, 60s), 0));
  expect_nothing_left(processes);
}

TEST_F(DemoStack, ShouldCleanUpWhenInterruptedWhileStarting) {
  Process stack = start();
  // Interrupt once the database is up and the services are being launched.
  ASSERT_TRUE(eventually([&] { return fs::exists(work_ / "out" / "logs" / "market_data.log"); }, 60s));
  const std::set<pid_t> processes = descendants(stack.pid());
  const int status = stack.kill_and_reap(SIGINT, 60s);
  EXPECT_TRUE(WIFEXITED(status)) << "the stack must clean up and exit, not die of the signal";
  expect_nothing_left(processes);
}

TEST_F(DemoStack, ShouldRunACommandAgainstTheStackAndExitWithItsStatus) {
  Process stack = start({"/bin/sh", "-c", "test -n \"$FAULTLINE_DEMO_DSN\" && exit 3"});
  const auto status = stack.wait(120s);
  ASSERT_TRUE(status) << "the stack did not finish";
  EXPECT_TRUE(faultline::testing::exited_with(*status, 3));
  EXPECT_TRUE(fs::is_empty(work_ / "pg"));
}

}  // namespace
}  // namespace faultline::demo
