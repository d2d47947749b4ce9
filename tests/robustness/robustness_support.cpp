#include "robustness_support.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "faultline/controlplane/segment.h"
#include "faultline/testing/loopback.h"

namespace faultline::robustness {

std::string program_path(std::string_view name) {
  return std::string(FAULTLINE_ROBUSTNESS_PROGRAM_DIR) + "/" + std::string(name);
}

std::string cli_path() {
  return FAULTLINE_CLI_PATH;
}

std::string find_program(const std::vector<std::string>& candidates) {
  for (const std::string& c : candidates)
    if (::access(c.c_str(), X_OK) == 0) return c;
  return {};
}

Outcome run_captured(const std::vector<std::string>& argv, bool preload, std::chrono::milliseconds timeout,
                     const std::vector<std::string>& env) {
  std::vector<std::string> shell{"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"};
  shell.insert(shell.end(), argv.begin(), argv.end());
  testing::SpawnOptions options =
      preload ? testing::SpawnOptions() : testing::SpawnOptions().without_preload();
  for (const std::string& e : env) options = options.with_env(e);
  const testing::RunResult r = testing::run(shell, timeout, options);
  return {r.status, r.output};
}

void PrintTo(const Outcome& outcome, std::ostream* os) {
  *os << "{wait status " << outcome.status << ", output (" << outcome.output.size() << " bytes) \""
      << outcome.output.substr(0, 2000) << (outcome.output.size() > 2000 ? "...\"}" : "\"}");
}

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void expect_same_as_without_preload(const std::vector<std::string>& argv, const std::string& expected,
                                    const std::vector<std::string>& env) {
  const Outcome plain = run_captured(argv, false);
  const Outcome preloaded = run_captured(argv, true, 30s, env);
  EXPECT_EQ(exit_code(plain.status), 0);
  EXPECT_EQ(plain.output, expected);
  EXPECT_EQ(preloaded, plain);
}

TempDir::TempDir() {
  std::string pattern = "/tmp/faultline-robustness.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  ::chmod(pattern.c_str(), 0755);  // other users' processes read what the tests put here
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, std::string_view bytes, unsigned mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  ::chmod(path.c_str(), mode);
}

std::string seeded_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

std::string mapped_files(pid_t pid) {
  std::istringstream maps(read_file("/proc/" + std::to_string(pid) + "/maps"));
  std::string line, out;
  while (std::getline(maps, line)) {
    const std::size_t slash = line.find('/');
    if (slash != std::string::npos) out += line.substr(slash) + "\n";
  }
  return out;
}

std::set<pid_t> segment_pids() {
  std::set<pid_t> out;
  for (const cp::SegmentInfo& info : cp::list_segments()) out.insert(info.pid);
  return out;
}

void remove_dead_segments_since(const std::set<pid_t>& before, std::string_view program) {
  for (const cp::SegmentInfo& info : cp::list_segments()) {
    if (info.alive || before.contains(info.pid)) continue;
    std::string reason;
    const cp::Segment segment = cp::Segment::open(info.pid, &reason);
    if (segment.valid() && program == segment.header()->program) cp::Segment::unlink(info.pid);
  }
}

bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in addr = testing::loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace faultline::robustness
