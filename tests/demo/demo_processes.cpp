#include "demo_processes.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "faultline/testing/loopback.h"
#include "faultline/testing/targets.h"

namespace faultline::demo::testing {
namespace {

std::optional<HttpAnswer> answer(const httplib::Result& result) {
  if (!result) return std::nullopt;
  HttpAnswer out;
  out.status = result->status;
  out.body = nlohmann::json::parse(result->body, nullptr, false);
  if (out.body.is_discarded()) out.body = nullptr;
  out.replica_header = result->get_header_value("X-Order-Replica");
  return out;
}

httplib::Client client(std::uint16_t port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(std::chrono::seconds(5));
  c.set_read_timeout(std::chrono::seconds(5));
  return c;
}

}  // namespace

std::string demo_program(const std::string& name) {
  return std::string(FAULTLINE_BUILD_DIR) + "/bin/" + name;
}

std::uint16_t free_tcp_port() {
  return faultline::testing::free_loopback_port(SOCK_STREAM);
}
std::uint16_t free_udp_port() {
  return faultline::testing::free_loopback_port(SOCK_DGRAM);
}

bool tcp_port_free(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in address = faultline::testing::loopback(port);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the services bind (TIME_WAIT is fine)
  const bool free = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return free;
}

std::optional<HttpAnswer> http_get(std::uint16_t port, const std::string& path) {
  auto c = client(port);
  return answer(c.Get(path));
}

std::optional<HttpAnswer> http_post(std::uint16_t port, const std::string& path, const std::string& body) {
  auto c = client(port);
  return answer(c.Post(path, body, "application/json"));
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool process_gone(pid_t pid) {
  if (kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  stat >> pid_field >> comm >> state;  // comm has no spaces for our programs
  return !stat || state == "Z";
}

}  // namespace faultline::demo::testing
