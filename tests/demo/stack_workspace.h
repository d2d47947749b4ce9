// A place to run tools/demo/stack.sh from a test: a free port range, a
// temporary folder for its output and its database (reachable by the
// database's own user), removed afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "faultline/testing/process.h"

namespace faultline::demo::testing {

class StackWorkspace {
 public:
  StackWorkspace();  // throws std::runtime_error when no port range or folder can be had
  ~StackWorkspace();
  StackWorkspace(const StackWorkspace&) = delete;
  StackWorkspace& operator=(const StackWorkspace&) = delete;

  // stack.sh BUILD OUT [-- COMMAND...] with this workspace's ports and folders.
  faultline::testing::Process start(const std::vector<std::string>& command = {}) const;

  std::uint16_t port_base() const { return base_; }
  std::uint16_t market_data_port() const { return base_; }
  std::uint16_t gateway_port() const { return static_cast<std::uint16_t>(base_ + 80); }
  std::vector<std::uint16_t> tcp_ports() const;  // every TCP port the stack listens on

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path out_dir() const { return root_ / "out"; }
  std::filesystem::path database_parent() const { return root_ / "pg"; }

 private:
  std::uint16_t base_ = 0;
  std::filesystem::path root_;
};

// Reads stdout until stack.sh's ready line; false if it exited or took too long.
bool wait_until_stack_ready(faultline::testing::Process& stack);

}  // namespace faultline::demo::testing
