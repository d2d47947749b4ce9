// tools/demo/stack.sh: the whole stack comes up healthy under the preload,
// serves, and goes away completely (processes, ports, the temporary
// database) when stopped, interrupted while starting, or done with its
// command.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "demo_processes.h"
#include "faultline/testing/process.h"
#include "stack_workspace.h"

namespace faultline::demo {
namespace {

using namespace std::chrono_literals;
using faultline::testing::Process;
using faultline::testing::SpawnOptions;
using namespace faultline::demo::testing;
namespace fs = std::filesystem;

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

// What a process runs, for a failure message ("?" once it is gone).
std::string command_line(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text)
    if (c == '\0') c = ' ';
  return text.empty() ? "?" : text;
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
  // Checks, then removes what survived so a failing run leaves no orphans.
  void expect_nothing_left(const std::set<pid_t>& processes) {
    for (const pid_t pid : processes) {
      EXPECT_TRUE(process_gone(pid)) << "process " << pid << " survived the stack: " << command_line(pid);
      if (!process_gone(pid)) kill(pid, SIGKILL);
    }
    for (const auto port : workspace_.tcp_ports())
      EXPECT_TRUE(tcp_port_free(port)) << "port " << port << " still taken";
    EXPECT_TRUE(fs::is_empty(workspace_.database_parent()))
        << "the temporary database folder was not removed";
    EXPECT_FALSE(fs::exists(workspace_.out_dir() / "stack.env"));
  }

  StackWorkspace workspace_;
};

TEST_F(DemoStack, ShouldServeMarketDataAndOrdersThenLeaveNothingBehindOnSigterm) {
  Process stack = workspace_.start();
  ASSERT_TRUE(wait_until_stack_ready(stack)) << "the stack did not come up; logs in " << workspace_.out_dir();
  const auto env = read_stack_env(workspace_.out_dir() / "stack.env");
  ASSERT_TRUE(env.count("FAULTLINE_DEMO_PG_DIR"));

  const auto latest = http_get(workspace_.market_data_port(), "/api/market-data/latest");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->status, 200);
  EXPECT_LT(latest->body["age_ms"].get<double>(), 5000.0);
  const auto order = http_post(workspace_.gateway_port(), "/api/orders",
                               R"({"symbol":"AAPL","side":"buy","qty":100,"price":187.25})");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->status, 201) << order->body.dump();
  const auto replicas = http_get(workspace_.gateway_port(), "/api/replicas");
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
  Process stack = workspace_.start();
  // Interrupt once the database is up and the services are being launched.
  ASSERT_TRUE(eventually([&] { return fs::exists(workspace_.out_dir() / "logs" / "market_data.log"); }, 60s));
  const std::set<pid_t> processes = descendants(stack.pid());
  const int status = stack.kill_and_reap(SIGINT, 60s);
  EXPECT_TRUE(WIFEXITED(status)) << "the stack must clean up and exit, not die of the signal";
  expect_nothing_left(processes);
}

TEST_F(DemoStack, ShouldRunACommandAgainstTheStackAndExitWithItsStatus) {
  Process stack = workspace_.start({"/bin/sh", "-c", "test -n \"$FAULTLINE_DEMO_DSN\" && exit 3"});
  const auto status = stack.wait(120s);
  ASSERT_TRUE(status) << "the stack did not finish";
  EXPECT_TRUE(faultline::testing::exited_with(*status, 3));
  EXPECT_TRUE(fs::is_empty(workspace_.database_parent()));
}

}  // namespace
}  // namespace faultline::demo
