#include "faultline/testing/targets.h"

#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

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
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("free_loopback_port: bind failed");
  return ntohs(addr.sin_port);
}

}  // namespace faultline::testing
