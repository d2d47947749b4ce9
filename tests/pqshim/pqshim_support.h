// What the pqshim tests share: the pq_client helper under the preload,
// driven line by line and commanded through its segment; pq faults as the
// CLI builds them; and the faultline CLI itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/client.h"
#include "faultline/testing/process.h"

namespace faultline::pqshim {

using namespace std::chrono_literals;

constexpr std::int64_t kMs = 1'000'000;

// One reply line of pq_client: its first word and key=value fields; the
// message (last on the line) with its newlines restored.
struct Reply {
  std::string kind;
  std::map<std::string, std::string> fields;
  std::string message;

  const std::string& operator[](const std::string& key) const;
  std::int64_t number(const std::string& key) const;
};
Reply parse_reply(const std::string& line);

class PqClient {
 public:
  // pq_client with the preload (or without), attached to its segment when preloaded.
  static PqClient start(const testing::SpawnOptions& options = {});

  // Sends one command, returns its reply (ADD_FAILURE and an empty reply on timeout).
  Reply run(const std::string& command, std::chrono::milliseconds timeout = 30s);
  cp::Client& control() { return *client_; }
  pid_t pid() const { return process_.pid(); }

 private:
  PqClient(testing::Process process) : process_(std::move(process)) {}
  testing::Process process_;
  std::optional<cp::Client> client_;
};

// A pq fault as the CLI builds it: 100%, 60 s, seed 7.
abi::FaultSpec pq_fault(const char* id, abi::FaultKind kind);
abi::FaultSpec with_sql(abi::FaultSpec f, const char* pattern);
abi::FaultSpec with_db(abi::FaultSpec f, const char* db);

// Submits and waits for the acknowledgement.
cp::AckResult inject(cp::Client& client, const abi::FaultSpec& spec);
void expect_injected(cp::Client& client, const abi::FaultSpec& spec);
void clear(cp::Client& client, const char* id);
std::optional<cp::FaultView> fault_view(const cp::Client& client, const char* id);

// The faultline CLI of this build; stdout and stderr together.
testing::RunResult run_cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 30s);
std::string faultline_path();
// The port=N of a keyword=value DSN.
std::string dsn_port(const std::string& dsn);
// How many lines `text` has (a trailing newline ends the last one).
int line_count(const std::string& text);

}  // namespace faultline::pqshim
