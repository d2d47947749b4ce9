#include "stack_workspace.h"

#include <sys/stat.h>
#include <unistd.h>

#include <random>
#include <stdexcept>

#include "demo_processes.h"

namespace faultline::demo::testing {
namespace {

std::vector<std::uint16_t> ports_from(std::uint16_t base) {
  return {base, static_cast<std::uint16_t>(base + 80), static_cast<std::uint16_t>(base + 81),
          static_cast<std::uint16_t>(base + 82), static_cast<std::uint16_t>(base + 83)};
}

// Below PostgreSQL's ports (pg-temp.sh: 20000+) and the kernel's ephemeral range.
std::uint16_t free_port_base() {
  std::mt19937 random(static_cast<unsigned>(getpid()));
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto base = static_cast<std::uint16_t>(10000 + random() % 9000);
    bool all_free = true;
    for (const auto port : ports_from(base)) all_free = all_free && tcp_port_free(port);
    if (all_free) return base;
  }
  throw std::runtime_error("no free port range for the stack");
}

}  // namespace

StackWorkspace::StackWorkspace() : base_(free_port_base()) {
  char pattern[] = "/tmp/faultline-demo-stack-test.XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = pattern;
  chmod(root_.c_str(), 0755);  // the database's own user must reach its folder
  std::filesystem::create_directories(database_parent());
  chmod(database_parent().c_str(), 0755);
}

StackWorkspace::~StackWorkspace() {
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

std::vector<std::uint16_t> StackWorkspace::tcp_ports() const {
  return ports_from(base_);
}

faultline::testing::Process StackWorkspace::start(const std::vector<std::string>& command) const {
  std::vector<std::string> argv = {"/bin/bash", std::string(FAULTLINE_SOURCE_DIR) + "/tools/demo/stack.sh",
                                   FAULTLINE_BUILD_DIR, out_dir().string()};
  if (!command.empty()) {
    argv.push_back("--");
    argv.insert(argv.end(), command.begin(), command.end());
  }
  return faultline::testing::Process::spawn(
      argv, faultline::testing::SpawnOptions()
                .without_preload()
                .with_env("FAULTLINE_DEMO_PORT_BASE=" + std::to_string(base_))
                .with_env("FAULTLINE_DEMO_PG_PARENT=" + database_parent().string())
                .with_env("FAULTLINE_DEMO_FEED_RATE=500"));
}

bool wait_until_stack_ready(faultline::testing::Process& stack) {
  while (const auto line = stack.read_line(std::chrono::seconds(120))) {
    if (line->rfind("stack: ready", 0) == 0) return true;
  }
  return false;
}

}  // namespace faultline::demo::testing
