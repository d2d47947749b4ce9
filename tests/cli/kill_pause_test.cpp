// kill signals random matching targets, once or on a schedule; pause stops
// targets and always resumes them.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cli_fixture.h"

namespace faultline::clitest {
namespace {

using Kill = CliTest;
using Pause = CliTest;

// The pids named by "killed PID ..." lines, in order.
std::vector<pid_t> killed_pids(const std::string& out) {
  std::vector<pid_t> pids;
  const std::regex killed(R"(killed (\d+) )");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), killed); it != std::sregex_iterator(); ++it)
    pids.push_back(static_cast<pid_t>(std::stol((*it)[1].str())));
  return pids;
}

bool died_of_sigkill(LaunchedEcho& echo) {
  const std::optional<int> status = echo.process.wait(10s);
  return status && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL;
}

LaunchedEcho* find_echo(std::vector<LaunchedEcho>& echoes, pid_t pid) {
  for (LaunchedEcho& e : echoes)
    if (e.pid() == pid) return &e;
  return nullptr;
}

// The state letter of /proc/PID/stat ('R', 'S', 'T', ...), or '?'.
char process_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : '?';
}

bool wait_for_state(pid_t pid, bool stopped, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while ((process_state(pid) == 'T') != stopped) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

testing::Process spawn_cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::SpawnOptions options;
  options.preload = false;
  return testing::Process::spawn(argv, options);
}

TEST_F(Kill, ShouldKillExactlyOneOfTheMatchingTargets) {
  const std::string label = unique_label();
  std::vector<LaunchedEcho> echoes;
  for (int i = 0; i < 3; ++i) echoes.push_back(launch_echo({"-l", label}));

  const CliResult r = run_cli({"kill", "-l", label, "--seed", "7"});
  ASSERT_EQ(r.code(), 0) << r.err;
  const std::vector<pid_t> killed = killed_pids(r.out);
  ASSERT_EQ(killed.size(), 1u) << r.out;
  EXPECT_NE(r.out.find("with SIGKILL (3 matching)"), std::string::npos) << r.out;
  LaunchedEcho* victim = find_echo(echoes, killed[0]);
  ASSERT_NE(victim, nullptr) << r.out;
  EXPECT_TRUE(died_of_sigkill(*victim));
  for (LaunchedEcho& e : echoes)
    if (&e != victim) {
      EXPECT_FALSE(e.process.wait(0ms).has_value()) << e.pid() << " should still run";
    }
}

TEST_F(Kill, ShouldKillEveryMatchingTargetWithAllMatching) {
  const std::string label = unique_label();
  std::vector<LaunchedEcho> echoes;
  for (int i = 0; i < 2; ++i) echoes.push_back(launch_echo({"-l", label}));

  const CliResult r = run_cli({"kill", "-l", label, "--all-matching", "--signal", "TERM"});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(killed_pids(r.out).size(), 2u) << r.out;
  for (LaunchedEcho& e : echoes) EXPECT_TRUE(e.process.wait(10s).has_value()) << e.pid() << " still runs";
}

TEST_F(Kill, ShouldKillADifferentLiveTargetEveryRound) {
  const std::string label = unique_label();
  std::vector<LaunchedEcho> echoes;
  for (int i = 0; i < 3; ++i) echoes.push_back(launch_echo({"-l", label}));

  // Rounds at 0, 300ms and 600ms: three kills, each of a target still alive.
  const CliResult r = run_cli({"kill", "-l", label, "--every", "300ms", "--for", "700ms", "--seed", "1"});
  ASSERT_EQ(r.code(), 0) << r.err;
  const std::vector<pid_t> killed = killed_pids(r.out);
  ASSERT_EQ(killed.size(), 3u) << r.out;
  EXPECT_EQ(std::set<pid_t>(killed.begin(), killed.end()).size(), 3u) << r.out;
  const std::regex stamped(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z killed \d+ )");
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) EXPECT_TRUE(std::regex_search(line, stamped)) << line;
  for (LaunchedEcho& e : echoes) EXPECT_TRUE(died_of_sigkill(e)) << e.pid();
}

TEST_F(Kill, ShouldNoteRoundsWithoutALiveTargetAndGoOn) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});

  const CliResult r = run_cli({"kill", "-l", label, "--every", "200ms", "--for", "500ms"});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(killed_pids(r.out), std::vector<pid_t>{echo.pid()}) << r.out;
  std::size_t notes = 0;
  for (std::size_t at = r.out.find("no live target matches"); at != std::string::npos;
       at = r.out.find("no live target matches", at + 1))
    ++notes;
  EXPECT_EQ(notes, 2u) << r.out;
}

TEST_F(Kill, ShouldFailWithOneLineWhenNothingMatches) {
  const CliResult r = run_cli({"kill", "-l", unique_label()});
  EXPECT_TRUE(fails_with_one_line(r, 1));
}

TEST_F(Pause, ShouldStopTheTargetThenContinueIt) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});

  testing::Process pause = spawn_cli({"pause", "-l", label, "--for", "1s"});
  const std::optional<std::string> paused = pause.read_line(10s);
  ASSERT_TRUE(paused.has_value());
  EXPECT_EQ(paused->rfind("paused 1 target for 1s: " + std::to_string(echo.pid()), 0), 0u) << *paused;
  EXPECT_TRUE(wait_for_state(echo.pid(), true, 5s)) << "state " << process_state(echo.pid());

  const std::optional<int> status = pause.wait(20s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(testing::exited_with(*status, 0));
  EXPECT_NE(process_state(echo.pid()), 'T');
  EXPECT_GT(ping(echo.port, 3).received, 0u);
}

TEST_F(Pause, ShouldResumeTheTargetWhenInterrupted) {
  const std::string label = unique_label();
  LaunchedEcho echo = launch_echo({"-l", label});

  testing::Process pause = spawn_cli({"pause", "-l", label, "--for", "10m"});
  ASSERT_TRUE(pause.read_line(10s).has_value());
  ASSERT_TRUE(wait_for_state(echo.pid(), true, 5s));
  ::kill(pause.pid(), SIGINT);
  const std::optional<int> status = pause.wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(testing::exited_with(*status, 128 + SIGINT));
  EXPECT_NE(process_state(echo.pid()), 'T');
}

}  // namespace
}  // namespace faultline::clitest
