#include "pqshim_support.h"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

#include "faultline/testing/targets.h"

namespace faultline::pqshim {

const std::string& Reply::operator[](const std::string& key) const {
  static const std::string kMissing = "<missing>";
  const auto it = fields.find(key);
  return it != fields.end() ? it->second : kMissing;
}

std::int64_t Reply::number(const std::string& key) const {
  const auto it = fields.find(key);
  return it != fields.end() ? std::stoll(it->second) : -1;
}

Reply parse_reply(const std::string& line) {
  Reply r;
  std::string rest = line;
  const auto message_at = rest.find(" message=");
  if (message_at != std::string::npos) {
    const std::string escaped = rest.substr(message_at + 9);
    rest.resize(message_at);
    for (std::size_t i = 0; i < escaped.size(); ++i) {
      if (escaped[i] == '\\' && i + 1 < escaped.size() && (escaped[i + 1] == 'n' || escaped[i + 1] == 't')) {
        r.message += escaped[i + 1] == 'n' ? '\n' : '\t';
        ++i;
      } else {
        r.message += escaped[i];
      }
    }
  }
  std::size_t at = 0;
  while (at < rest.size()) {
    std::size_t end = rest.find(' ', at);
    if (end == std::string::npos) end = rest.size();
    const std::string word = rest.substr(at, end - at);
    const auto eq = word.find('=');
    if (r.kind.empty() && eq == std::string::npos)
      r.kind = word;
    else if (eq != std::string::npos)
      r.fields[word.substr(0, eq)] = word.substr(eq + 1);
    at = end + 1;
  }
  return r;
}

PqClient PqClient::start(const testing::SpawnOptions& options) {
  PqClient c(testing::Process::spawn({FAULTLINE_PQ_CLIENT}, options.with_stdin()));
  const auto ready = c.process_.read_line(10s);
  if (!ready || ready->rfind("ready ", 0) != 0) throw std::runtime_error("pq_client did not start");
  if (options.preload) {
    std::string reason;
    c.client_ = testing::wait_for_segment(c.process_.pid(), 5s, &reason);
    if (!c.client_) throw std::runtime_error("pq_client segment: " + reason);
  }
  return c;
}

Reply PqClient::run(const std::string& command, std::chrono::milliseconds timeout) {
  process_.write_stdin(command + "\n");
  const auto line = process_.read_line(timeout);
  if (!line) {
    ADD_FAILURE() << "no reply to '" << command << "'";
    return {};
  }
  return parse_reply(*line);
}

abi::FaultSpec pq_fault(const char* id, abi::FaultKind kind) {
  abi::FaultSpec f{};
  std::strncpy(f.id, id, sizeof f.id - 1);
  f.kind = static_cast<std::uint16_t>(kind);
  f.pct_ppm = 1'000'000;
  f.for_ns = 60'000 * kMs;
  f.seed = 7;
  return f;
}

abi::FaultSpec with_sql(abi::FaultSpec f, const char* pattern) {
  std::strncpy(f.match.sql_regex, pattern, sizeof f.match.sql_regex - 1);
  return f;
}

abi::FaultSpec with_db(abi::FaultSpec f, const char* db) {
  std::strncpy(f.match.db, db, sizeof f.match.db - 1);
  return f;
}

cp::AckResult inject(cp::Client& client, const abi::FaultSpec& spec) {
  return client.request(cp::make_inject(spec), 5s);
}

void expect_injected(cp::Client& client, const abi::FaultSpec& spec) {
  const cp::AckResult ack = inject(client, spec);
  ASSERT_EQ(ack.status, abi::AckStatus::kApplied) << spec.id << ": " << ack.reason;
}

void clear(cp::Client& client, const char* id) {
  const cp::AckResult ack = client.request(cp::make_clear(id), 5s);
  ASSERT_EQ(ack.status, abi::AckStatus::kApplied) << id << ": " << ack.reason;
}

std::optional<cp::FaultView> fault_view(const cp::Client& client, const char* id) {
  for (const cp::FaultView& f : client.faults())
    if (std::strncmp(f.spec.id, id, sizeof f.spec.id) == 0) return f;
  return std::nullopt;
}

std::string faultline_path() {
  return std::string(FAULTLINE_BUILD_DIR) + "/bin/faultline";
}

testing::RunResult run_cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", faultline_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::run(argv, timeout, testing::SpawnOptions().without_preload());
}

std::string dsn_port(const std::string& dsn) {
  const auto at = dsn.find("port=") + 5;
  return dsn.substr(at, dsn.find(' ', at) - at);
}

int line_count(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  if (!text.empty() && text.back() != '\n') ++n;
  return n;
}

}  // namespace faultline::pqshim
