// The subcommands as the faultline CLI's main table uses them.
#include "faultline/experiment/cli.h"

#include <gtest/gtest.h>

#include "faultline/experiment/runner.h"
#include "test_support.h"

namespace faultline::experiment {
namespace {

// The shape of tools/cli's cli::Command.
struct TableEntry {
  CLI::App* app;
  std::function<int()> run;
  std::function<void(std::vector<std::string>&)> split_trailing = {};
};

int dispatch(std::vector<std::string> words) {
  CLI::App app{"faultline"};
  app.require_subcommand(1);
  const TableEntry commands[] = {add_run_command(app), add_schedule_command(app), add_report_command(app)};
  std::reverse(words.begin(), words.end());
  app.parse(words);
  for (const auto& c : commands)
    if (c.app->parsed()) return c.run();
  return -1;
}

TEST(Cli, ShouldRunTheChosenSubcommandAndReturnItsExitCode) {
  test::TempDir dir;
  test::write_file(
      dir / "ok.yaml",
      "title: ok\nmethod:\n  - {type: action, name: a, provider: {type: process, path: /bin/true}}\n");
  EXPECT_EQ(dispatch({"run", (dir / "ok.yaml").string(), "-q", "--journal", (dir / "j.json").string()}),
            kExitHeld);
  EXPECT_TRUE(std::filesystem::exists(dir / "j.json"));
  EXPECT_EQ(dispatch({"run", (dir / "missing.yaml").string()}), kExitCouldNotRun);
  EXPECT_EQ(dispatch({"run", (dir / "ok.yaml").string(), "--var", "novalue"}), kExitCouldNotRun);
  EXPECT_EQ(dispatch({"report", dir.path().string()}), 0);
  EXPECT_EQ(dispatch({"report", (dir / "nothing-here").string()}), kExitCouldNotRun);
  EXPECT_EQ(dispatch({"schedule", (dir / "none.json").string(), "--once"}), kExitCouldNotRun);
  EXPECT_EQ(dispatch({"schedule", (dir / "none.json").string(), "--now", "tomorrow", "--once"}),
            kExitCouldNotRun);
}

}  // namespace
}  // namespace faultline::experiment
