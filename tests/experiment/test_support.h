// Local targets and helpers for the experiment tests: an HTTP server thread
// whose health can be broken for N requests, a TCP listener, temp folders,
// and a small XML well-formedness check for JUnit and SVG outputs.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace faultline::experiment::test {

class HttpTarget {
 public:
  HttpTarget();  // listens on 127.0.0.1, an ephemeral port
  ~HttpTarget();
  int port() const { return port_; }
  // The next `n` GET /health answer 503.
  void break_health(int n) { failures_left_ = n; }
  int health_requests() const { return health_requests_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<int> failures_left_{0};
  std::atomic<int> health_requests_{0};
};

class TcpListener {
 public:
  TcpListener();
  ~TcpListener();
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback port nothing listens on (bound then closed).
int closed_port();

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::filesystem::path data_path(const std::string& name);
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

// "" if well-formed, else what is wrong (tags, attributes, entities).
std::string xml_problem(const std::string& xml);

}  // namespace faultline::experiment::test
