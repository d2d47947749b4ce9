#include "postgres_server.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "faultline/pq/connection.h"

namespace faultline::pq::testing {
namespace {

const std::string kScript = std::string(FAULTLINE_SOURCE_DIR) + "/scripts/pg-temp.sh";

std::mutex g_mutex;
std::unique_ptr<PostgresServer> g_server;  // guarded by g_mutex
std::string g_start_error;                 // guarded by g_mutex

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// Runs the script; returns its stdout, throws with its exit status. Its
// stderr (the one-line reason) goes straight to the test log.
std::string run_script(const std::string& verb, const std::string& dir) {
  const std::string command = "bash " + shell_quote(kScript) + " " + verb + " " + shell_quote(dir);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out;
  std::array<char, 256> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) out += buffer.data();
  const int status = ::pclose(pipe);
  if (status != 0) {
    throw std::runtime_error("pg-temp.sh " + verb + " " + dir + " failed (status " + std::to_string(status) +
                             ")");
  }
  return out;
}

// Cluster files are written by every test process (ctest runs each TEST in
// its own), and a disk shared with compilers makes that the slowest part of
// a start; tmpfs is preferred when it has room (containers often give
// /dev/shm only 64 MiB).
std::string cluster_parent_dir() {
  constexpr unsigned long long kNeeded = 512ULL << 20;
  struct statvfs fs {};
  if (::statvfs("/dev/shm", &fs) == 0 && ::access("/dev/shm", W_OK) == 0 &&
      static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize >= kNeeded) {
    return "/dev/shm";
  }
  return "/tmp";
}

// A child that waits for this process to go away. A byte on the pipe means
// the server was stopped in order; end-of-file means this process died
// without stopping it, so the child does.
int start_reaper(const std::string& dir, int& pid_out) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::close(fds[1]);
    char byte = 0;
    ssize_t n;
    do {
      n = ::read(fds[0], &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) ::_exit(0);
    ::execl("/bin/bash", "bash", kScript.c_str(), "stop", dir.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[0]);
  pid_out = pid;
  return fds[1];
}

class PostgresEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { PostgresServer::stop(); }
};

[[maybe_unused]] const auto* const g_environment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace

const PostgresServer& PostgresServer::get() {
  std::lock_guard guard(g_mutex);
  if (g_server) return *g_server;
  if (!g_start_error.empty()) throw std::runtime_error(g_start_error);
  try {
    std::string dir_template = cluster_parent_dir() + "/pg-temp-faultline-pq.XXXXXX";
    if (::mkdtemp(dir_template.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    std::unique_ptr<PostgresServer> server(new PostgresServer);
    server->dir_ = dir_template;
    const std::string out = run_script("start", server->dir_);
    const auto at = out.find("DSN=");
    if (at == std::string::npos) throw std::runtime_error("pg-temp.sh printed no DSN: " + out);
    server->dsn_ = out.substr(at + 4, out.find('\n', at) - at - 4);
    server->reaper_pipe_ = start_reaper(server->dir_, server->reaper_pid_);
    g_server = std::move(server);
    return *g_server;
  } catch (const std::exception& e) {
    g_start_error = std::string("cannot start PostgreSQL for the tests: ") + e.what();
    throw std::runtime_error(g_start_error);
  }
}

void PostgresServer::stop() {
  std::lock_guard guard(g_mutex);
  if (!g_server) return;
  try {
    run_script("stop", g_server->dir_);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  const char done = 'q';
  [[maybe_unused]] const ssize_t written = ::write(g_server->reaper_pipe_, &done, 1);
  ::close(g_server->reaper_pipe_);
  ::waitpid(g_server->reaper_pid_, nullptr, 0);
  g_server.reset();
}

std::string PostgresServer::dsn_for(std::string_view database) const {
  const std::string key = "dbname=";
  const auto start = dsn_.find(key) + key.size();
  const auto end = dsn_.find(' ', start);
  std::string out = dsn_.substr(0, start) + std::string(database);
  if (end != std::string::npos) out += dsn_.substr(end);
  return out;
}

void PostgresServer::recreate_database(const std::string& name) const {
  Connection admin = Connection::open(dsn_for("postgres"));
  const std::string quoted = admin.quote_identifier(name);
  admin.exec("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)");
  admin.exec("CREATE DATABASE " + quoted);
}

void PostgresTest::SetUp() {
  try {
    server_ = &PostgresServer::get();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  Connection conn = Connection::open(dsn());
  conn.exec("TRUNCATE trades RESTART IDENTITY");
}

long long PostgresTest::count_trades() const {
  Connection conn = Connection::open(dsn());
  return std::stoll(std::string(conn.exec("SELECT count(*) FROM trades").value(0, 0)));
}

}  // namespace faultline::pq::testing
