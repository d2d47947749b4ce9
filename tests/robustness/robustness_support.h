// What the robustness tests share: running a program with and without the
// preload and capturing everything it prints, temporary folders and files,
// and polling for a condition.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/testing/process.h"

namespace faultline::robustness {

using namespace std::chrono_literals;

// A program of tests/robustness/programs in this build.
std::string program_path(std::string_view name);
// The faultline CLI of this build.
std::string cli_path();
// The first of `candidates` that is executable (a system program); empty
// if none is.
std::string find_program(const std::vector<std::string>& candidates);

// How a program ended and everything it wrote to stdout and stderr.
struct Outcome {
  int status = -1;  // wait status
  std::string output;
  bool operator==(const Outcome&) const = default;
};
// How GoogleTest shows an Outcome in a failure.
void PrintTo(const Outcome& outcome, std::ostream* os);

// Runs argv to completion with stdout and stderr merged (through /bin/sh,
// which runs under the preload too when `preload` is set). Throws if it
// outlives `timeout`.
Outcome run_captured(const std::vector<std::string>& argv, bool preload,
                     std::chrono::milliseconds timeout = 30s, const std::vector<std::string>& env = {});

// The exit code of a wait status, or -1 if the process did not exit.
int exit_code(int status);

// Runs argv without the preload, then with it (and `env`): the plain run
// exits 0 printing `expected`, and the preloaded run is the same.
void expect_same_as_without_preload(const std::vector<std::string>& argv, const std::string& expected,
                                    const std::vector<std::string>& env = {});

// A fresh folder (mode 0755) under /tmp, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, std::string_view bytes, unsigned mode = 0644);
// `size` pseudo-random bytes from a fixed seed.
std::string seeded_bytes(std::size_t size, std::uint64_t seed);

// Polls `condition` every few milliseconds until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// The shared objects mapped into `pid` (/proc/<pid>/maps), one path a line.
std::string mapped_files(pid_t pid);

// Pids of the faultline segments in /dev/shm now.
std::set<pid_t> segment_pids();
// Removes the segments of `program` that appeared since `before` and whose
// process is gone: what a known leak (a shell ending with _exit) left.
void remove_dead_segments_since(const std::set<pid_t>& before, std::string_view program);

// True once a TCP connection to 127.0.0.1:port succeeds.
bool accepts_connections(std::uint16_t port);

}  // namespace faultline::robustness
