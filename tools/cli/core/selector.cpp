#include "faultline/cli/selector.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "faultline/cli/error.h"
#include "faultline/cli/format.h"
#include "faultline/controlplane/segment.h"

namespace faultline::cli {
namespace {

constexpr std::size_t kListedInError = 8;
// A target just launched has its segment before its apply thread runs; a
// command sent then would wait in the ring, but alive() cannot tell a
// starting thread from a dead one, so give a starting target this long.
constexpr std::chrono::milliseconds kStartGrace{1000};

bool alive_within(const cp::Client& client, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (client.alive()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

struct Candidate {
  pid_t pid;
  std::string program, labels;
};

std::string describe_running(const std::vector<Candidate>& running) {
  if (running.empty()) return "no targets running";
  std::string out =
      std::to_string(running.size()) + (running.size() == 1 ? " target" : " targets") + " running: ";
  for (std::size_t i = 0; i < running.size() && i < kListedInError; ++i) {
    const Candidate& c = running[i];
    out += (i == 0 ? "" : ", ") + std::to_string(c.pid) + " " + c.program;
    if (!c.labels.empty()) out += " [" + c.labels + "]";
  }
  if (running.size() > kListedInError) out += ", ...";
  return out;
}

}  // namespace

std::string Selector::describe() const {
  if (all) return "--all";
  std::string out;
  for (pid_t p : pids) out += (out.empty() ? "" : " ") + std::string("-p ") + std::to_string(p);
  if (!labels.empty()) out += (out.empty() ? "" : " ") + std::string("-l ") + join_labels(labels);
  for (const auto& n : names) out += (out.empty() ? "" : " ") + std::string("-n ") + n;
  return out;
}

bool Selector::matches(pid_t pid, std::string_view program, std::string_view target_labels) const {
  if (all) return true;
  if (!pids.empty() && std::find(pids.begin(), pids.end(), pid) == pids.end()) return false;
  if (!names.empty() && std::find(names.begin(), names.end(), program) == names.end()) return false;
  const Labels have = split_labels(target_labels);
  return std::all_of(labels.begin(), labels.end(), [&have](const auto& want) {
    return std::find(have.begin(), have.end(), want) != have.end();
  });
}

std::vector<Target> resolve_targets(const Selector& selector, std::vector<std::string>* notes) {
  std::vector<cp::SegmentInfo> infos = cp::list_segments();
  std::sort(infos.begin(), infos.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  const auto named = [&selector](pid_t pid) {
    return std::find(selector.pids.begin(), selector.pids.end(), pid) != selector.pids.end();
  };
  std::vector<Target> targets;
  std::vector<Candidate> running;
  const auto start_grace = std::chrono::steady_clock::now() + kStartGrace;
  for (const cp::SegmentInfo& info : infos) {
    if (!info.alive || info.pid == getpid()) continue;
    std::string reason;
    bool relevant = true;  // worth a note: it might be one the user meant
    if (!info.owned) {
      reason = info.reason.empty() ? std::string("owned by another user") : info.reason;
      relevant = false;  // another user's targets are not ours to command
    } else if (!info.compatible) {
      reason = info.reason.empty() ? std::string("segment not usable") : info.reason;
    } else if (std::optional<cp::Client> client = cp::Client::attach(info.pid, &reason)) {
      Target t{std::move(*client), "", ""};
      t.program = field_string(t.client.header().program);
      t.labels = field_string(t.client.header().labels);
      const bool match = selector.matches(info.pid, t.program, t.labels);
      running.push_back({info.pid, t.program, t.labels});
      if (!match) continue;
      if (alive_within(t.client, start_grace)) {
        targets.push_back(std::move(t));
        continue;
      }
      reason = "its apply thread is not running";
    }
    if (named(info.pid)) throw UserError("target " + std::to_string(info.pid) + " refused: " + reason);
    if (relevant) notes->push_back("skipping pid " + std::to_string(info.pid) + ": " + reason);
  }
  for (pid_t p : selector.pids) {
    const bool found = std::any_of(running.begin(), running.end(), [p](const auto& c) { return c.pid == p; });
    if (!found)
      throw UserError("no faultline target with pid " + std::to_string(p) +
                      ": expected a process started with faultline launch (" + describe_running(running) +
                      ")");
  }
  if (targets.empty())
    throw UserError("no faultline target matches " + selector.describe() + " (" + describe_running(running) +
                    ")");
  return targets;
}

std::string target_names(const std::vector<Target>& targets) {
  std::string out;
  for (const Target& t : targets) out += (out.empty() ? "" : ", ") + t.name();
  return out;
}

}  // namespace faultline::cli
