#include "test_support.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "faultline/testing/loopback.h"
#include "faultline/testing/targets.h"
#include "timefmt.h"

namespace faultline::experiment::test {

struct HttpTarget::Impl {
  httplib::Server server;
  std::thread thread;
};

HttpTarget::HttpTarget() : impl_(std::make_unique<Impl>()) {
  auto& s = impl_->server;
  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    ++health_requests_;
    int left = failures_left_.load();
    while (left > 0 && !failures_left_.compare_exchange_weak(left, left - 1)) {
    }
    if (left > 0) {
      res.status = 503;
      res.set_content("unavailable", "text/plain");
    } else {
      res.set_content("ok", "text/plain");
    }
  });
  s.Get("/market", [](const httplib::Request&, httplib::Response& res) {
    const nlohmann::json body{{"symbol", "EURUSD"},
                              {"price", 1.0842},
                              {"timestamp", iso_utc(std::chrono::system_clock::now()) + "Z"}};
    res.set_content(body.dump(), "application/json");
  });
  s.Get("/stale", [](const httplib::Request&, httplib::Response& res) {
    // 10 s old, written with a +02:00 offset.
    const auto t = std::chrono::system_clock::now() - std::chrono::seconds(10) + std::chrono::hours(2);
    const nlohmann::json body{{"quote", {{"timestamp", iso_utc(t) + "+02:00"}}}};
    res.set_content(body.dump(), "application/json");
  });
  s.Get("/json", [](const httplib::Request&, httplib::Response& res) {
    const nlohmann::json body{
        {"data", {{"status", "ok"}, {"items", {1, 2, 3}}, {"nested", {{"status", "deep"}}}}}};
    res.set_content(body.dump(), "application/json");
  });
  s.Post("/break", [this](const httplib::Request& req, httplib::Response& res) {
    std::string count = req.has_param("count") ? req.get_param_value("count") : "";
    if (count.empty() && req.body.rfind("count=", 0) == 0) count = req.body.substr(6);
    failures_left_ = std::stoi(count.empty() ? "0" : count);
    res.set_content("broken", "text/plain");
  });
  s.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(
        nlohmann::json{{"received", req.body}, {"type", req.get_header_value("Content-Type")}}.dump(),
        "application/json");
  });
  port_ = s.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("cannot bind the test HTTP server");
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

HttpTarget::~HttpTarget() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

TcpListener::TcpListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  port_ = testing::bind_loopback(fd_);
  if (port_ == 0 || ::listen(fd_, 64) != 0) throw std::runtime_error("cannot listen on loopback");
}

TcpListener::~TcpListener() {
  ::close(fd_);
}

int closed_port() {
  return testing::free_loopback_port(SOCK_STREAM);
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "faultline-experiment-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path data_path(const std::string& name) {
  return std::filesystem::path(EXPERIMENT_DATA_DIR) / name;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string xml_problem(const std::string& x) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  bool root_seen = false;
  const auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '.';
  };
  while (i < x.size()) {
    if (x[i] == '<') {
      if (x.compare(i, 4, "<!--") == 0) {
        const auto end = x.find("-->", i);
        if (end == std::string::npos) return "unterminated comment";
        i = end + 3;
        continue;
      }
      if (x.compare(i, 2, "<?") == 0) {
        const auto end = x.find("?>", i);
        if (end == std::string::npos) return "unterminated declaration";
        i = end + 2;
        continue;
      }
      const bool closing = i + 1 < x.size() && x[i + 1] == '/';
      std::size_t j = i + (closing ? 2 : 1);
      const std::size_t name_start = j;
      while (j < x.size() && name_char(x[j])) ++j;
      const std::string name = x.substr(name_start, j - name_start);
      if (name.empty()) return "tag without a name at " + std::to_string(i);
      if (closing) {
        while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
        if (j >= x.size() || x[j] != '>') return "bad closing tag </" + name;
        if (stack.empty() || stack.back() != name) return "closing </" + name + "> does not match";
        stack.pop_back();
        i = j + 1;
        continue;
      }
      // attributes
      while (true) {
        while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
        if (j >= x.size()) return "unterminated tag <" + name;
        if (x[j] == '>' || x.compare(j, 2, "/>") == 0) break;
        const std::size_t a = j;
        while (j < x.size() && name_char(x[j])) ++j;
        if (j == a) return "bad attribute in <" + name + " at " + std::to_string(j);
        if (j >= x.size() || x[j] != '=') return "attribute without value in <" + name;
        ++j;
        if (j >= x.size() || (x[j] != '"' && x[j] != '\'')) return "unquoted attribute in <" + name;
        const char q = x[j++];
        const auto end = x.find(q, j);
        if (end == std::string::npos) return "unterminated attribute in <" + name;
        if (x.substr(j, end - j).find('<') != std::string::npos) return "'<' inside an attribute of <" + name;
        j = end + 1;
      }
      if (stack.empty()) {
        if (root_seen) return "more than one root element";
        root_seen = true;
      }
      if (x[j] == '>') {
        stack.push_back(name);
        i = j + 1;
      } else {
        i = j + 2;
      }
      continue;
    }
    if (x[i] == '&') {
      const auto semi = x.find(';', i);
      if (semi == std::string::npos) return "bare '&'";
      const std::string entity = x.substr(i, semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;" && entity.rfind("&#", 0) != 0)
        return "unknown entity " + entity;
    }
    if (stack.empty() && !std::isspace(static_cast<unsigned char>(x[i])))
      return "text outside the root element";
    ++i;
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (!root_seen) return "no root element";
  return "";
}

}  // namespace faultline::experiment::test
