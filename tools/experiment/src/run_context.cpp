#include "run_context.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "subprocess.h"
#include "telemetry_probe.h"

namespace faultline::experiment {

namespace {

void (*g_progress_clearer)() = nullptr;

std::string find_cli() {
  if (const char* env = std::getenv("FAULTLINE_CLI"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto dir = self.parent_path();
    for (const auto& candidate : {dir / "faultline", dir.parent_path() / "cli" / "faultline",
                                  dir.parent_path().parent_path() / "tools" / "cli" / "faultline"}) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  const std::string found = which("faultline");
  return found.empty() ? "faultline" : found;
}

}  // namespace

void set_progress_clearer(void (*clear)()) {
  g_progress_clearer = clear;
}

RunContext::RunContext(const Experiment& experiment, bool quiet)
    : experiment_(experiment),
      quiet_(quiet),
      cli_path_(find_cli()),
      telemetry_(std::make_unique<TelemetrySampler>()) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  run_id_ = fmt::format(
      "{:x}{:x}", static_cast<unsigned>(::getpid()) & 0xffffu,
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) &
          0xffffffu);
}

RunContext::~RunContext() = default;

std::string RunContext::next_fault_id() {
  std::lock_guard lock(mu_);
  return fmt::format("x{}-{}", run_id_, ++next_id_);
}

void RunContext::record_injected(const std::vector<std::string>& selector, const std::string& id,
                                 const std::string& activity) {
  std::lock_guard lock(mu_);
  faults_.push_back({selector, id, activity, false, nullptr});
}

void RunContext::record_cleared(const std::vector<std::string>& selector, const std::string& id) {
  std::lock_guard lock(mu_);
  for (auto& f : faults_)
    if ((!id.empty() && f.id == id) || (id.empty() && f.selector == selector)) f.cleared = true;
}

std::vector<InjectedFault> RunContext::faults() const {
  std::lock_guard lock(mu_);
  return faults_;
}

void RunContext::set_cleanup(const std::string& id, nlohmann::json cleanup) {
  std::lock_guard lock(mu_);
  for (auto& f : faults_)
    if (f.id == id) f.cleanup = cleanup;
}

void RunContext::log(const std::string& line) {
  if (quiet_) return;
  std::lock_guard lock(log_mu_);
  if (g_progress_clearer != nullptr) g_progress_clearer();
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace faultline::experiment
