#include "faultline/testing/targets.h"

#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "faultline/testing/loopback.h"

namespace faultline::testing {

std::optional<cp::Client> wait_for_segment(pid_t pid, std::chrono::milliseconds timeout,
                                           std::string* reason) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string why;
  for (;;) {
    if (auto client = cp::Client::attach(pid, &why)) return client;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (reason != nullptr) *reason = why;
  return std::nullopt;
}

bool segment_exists(pid_t pid) {
  struct stat st;
  return ::stat(("/dev/shm/faultline." + std::to_string(pid)).c_str(), &st) == 0;
}

std::uint16_t free_loopback_port(int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("free_loopback_port: socket failed");
  const std::uint16_t port = bind_loopback(fd);
  ::close(fd);
  if (port == 0) throw std::runtime_error("free_loopback_port: bind failed");
  return port;
}

}  // namespace faultline::testing
