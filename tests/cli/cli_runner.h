// Runs the real `faultline` binary and captures its exit status, stdout and
// stderr separately (the CLI's contract puts failures on stderr).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace faultline::clitest {

struct CliResult {
  int status = -1;  // wait status
  std::string out, err;
  // The exit code, or -1 if it did not exit normally.
  int code() const;
  // stderr split in lines.
  std::vector<std::string> err_lines() const;
};

// faultline ARGS... in the test's environment without LD_PRELOAD or
// FAULTLINE_* variables. Kills it and fails if it outlives `timeout`.
CliResult run_cli(const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));

// The path of the faultline binary under test.
std::string cli_path();

}  // namespace faultline::clitest
