#include "telemetry_probe.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/client.h"
#include "faultline/controlplane/segment.h"
#include "faultline/experiment/duration.h"

namespace faultline::experiment {

namespace abi = faultline::abi;
namespace cp = faultline::cp;
using Json = nlohmann::json;

namespace {

constexpr const char* kClassNames[] = {
    "tcp_connect", "tcp_accept", "tcp_send", "tcp_recv",   "udp_send", "udp_recv",     "unix_send",
    "unix_recv",   "other_io",   "dns",      "pq_connect", "pq_query", "pq_roundtrip", "injected_delay"};
static_assert(std::size(kClassNames) == static_cast<std::size_t>(abi::CallClass::kInjectedDelay) + 1);

struct Totals {
  std::uint64_t calls = 0, errors = 0, faulted = 0, bytes = 0, sum_ns = 0;
  std::vector<std::uint64_t> buckets = std::vector<std::uint64_t>(abi::kHistBuckets, 0);
};

struct PidSnapshot {
  std::int64_t mono_ns = 0;
  Totals totals;
};

Totals collect(const cp::TelemetrySnapshot& snap, std::optional<std::uint32_t> klass) {
  Totals t;
  for (std::uint32_t c = 0; c < snap.classes.size(); ++c) {
    if (klass && *klass != c) continue;
    if (!klass && c == static_cast<std::uint32_t>(abi::CallClass::kInjectedDelay)) continue;
    const auto& s = snap.classes[c];
    t.calls += s.calls;
    t.errors += s.errors;
    t.faulted += s.faulted;
    t.bytes += s.bytes;
    t.sum_ns += s.sum_ns;
    for (std::size_t b = 0; b < s.buckets.size() && b < t.buckets.size(); ++b) t.buckets[b] += s.buckets[b];
  }
  return t;
}

std::uint64_t sub(std::uint64_t now, std::uint64_t before) {
  return now >= before ? now - before : now;
}

double unit_ns(const std::string& unit) {
  if (unit == "ns") return 1.0;
  if (unit == "us") return 1e3;
  if (unit == "s") return 1e9;
  return 1e6;  // ms
}

bool is_latency_metric(const std::string& metric) {
  return metric == "p50" || metric == "p90" || metric == "p95" || metric == "p99" || metric == "p999" ||
         metric == "max" || metric == "mean";
}

double quantile_of(const std::string& metric) {
  if (metric == "p50") return 0.50;
  if (metric == "p90") return 0.90;
  if (metric == "p95") return 0.95;
  if (metric == "p99") return 0.99;
  if (metric == "p999") return 0.999;
  return 1.0;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

}  // namespace

std::optional<std::uint32_t> call_class_from_name(const std::string& name) {
  std::string n = name;
  for (char& c : n)
    if (c == '-') c = '_';
  for (std::uint32_t i = 0; i < std::size(kClassNames); ++i)
    if (n == kClassNames[i]) return i;
  return std::nullopt;
}

std::string call_class_names() {
  std::string out;
  for (const char* n : kClassNames) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

std::uint64_t bucket_percentile_ns(const std::vector<std::uint64_t>& buckets, double q) {
  std::uint64_t total = 0;
  for (auto c : buckets) total += c;
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::uint32_t b = 0; b < buckets.size(); ++b) {
    seen += buckets[b];
    if (seen >= rank)
      return b + 1 < abi::kHistBuckets ? abi::hist_bucket_low(b + 1) - 1 : abi::hist_bucket_low(b);
  }
  return abi::hist_bucket_low(static_cast<std::uint32_t>(buckets.size() - 1));
}

std::vector<std::string> Selector::cli_args() const {
  if (pid) return {"-p", std::to_string(*pid)};
  if (!labels.empty()) return {"-l", labels};
  if (!name.empty()) return {"-n", name};
  return {"--all"};
}

std::optional<Selector> parse_selector(const Json& value, std::string* error) {
  Selector s;
  if (value.is_string()) {
    const auto words = split_ws(value.get<std::string>());
    if (words.size() == 1 && words[0] == "--all") {
      s.all = true;
      return s;
    }
    if (words.size() == 2 && (words[0] == "-p" || words[0] == "--pid")) {
      try {
        s.pid = static_cast<pid_t>(std::stol(words[1]));
        return s;
      } catch (const std::exception&) {
      }
    }
    if (words.size() == 2 && (words[0] == "-l" || words[0] == "--labels")) {
      s.labels = words[1];
      return s;
    }
    if (words.size() == 2 && (words[0] == "-n" || words[0] == "--name")) {
      s.name = words[1];
      return s;
    }
    *error = "selector '" + value.get<std::string>() +
             "' (expected \"-p PID\", \"-l KEY=VAL[,KEY=VAL]\", \"-n NAME\" or \"--all\")";
    return std::nullopt;
  }
  if (value.is_object() && value.size() == 1) {
    if (value.contains("pid") && value["pid"].is_number_integer()) {
      s.pid = value["pid"].get<pid_t>();
      return s;
    }
    if (value.contains("labels") && value["labels"].is_string()) {
      s.labels = value["labels"].get<std::string>();
      return s;
    }
    if (value.contains("labels") && value["labels"].is_object()) {
      for (const auto& [k, v] : value["labels"].items())
        s.labels +=
            (s.labels.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
      return s;
    }
    if (value.contains("name") && value["name"].is_string()) {
      s.name = value["name"].get<std::string>();
      return s;
    }
    if (value.contains("all") && value["all"] == true) {
      s.all = true;
      return s;
    }
  }
  *error =
      "selector " + value.dump() +
      " (expected {pid: N}, {labels: \"k=v\"}, {name: PROGRAM}, {all: true} or a string like \"-l app=x\")";
  return std::nullopt;
}

bool labels_match(const std::string& wanted, const std::string& have) {
  std::vector<std::string> have_pairs;
  std::stringstream hs(have);
  for (std::string pair; std::getline(hs, pair, ',');) have_pairs.push_back(pair);
  std::stringstream ws(wanted);
  for (std::string pair; std::getline(ws, pair, ',');) {
    if (pair.empty()) continue;
    bool found = false;
    for (const auto& h : have_pairs) found = found || h == pair;
    if (!found) return false;
  }
  return true;
}

struct TelemetrySampler::Impl {
  std::mutex mu;
  std::map<pid_t, cp::Client> clients;
  std::vector<pid_t> switched_on;
  std::map<std::string, std::map<pid_t, PidSnapshot>> previous;  // by probe key

  std::vector<pid_t> resolve(const Selector& selector) {
    std::vector<pid_t> pids;
    for (const auto& info : cp::list_segments()) {
      if (!info.alive || !info.compatible || !info.owned) continue;
      if (selector.pid && info.pid != *selector.pid) continue;
      cp::Client* client = attach(info.pid);
      if (client == nullptr) continue;
      const auto& h = client->header();
      const std::string program(h.program, strnlen(h.program, sizeof h.program));
      const std::string labels(h.labels, strnlen(h.labels, sizeof h.labels));
      if (!selector.name.empty() && program != selector.name) continue;
      if (!selector.labels.empty() && !labels_match(selector.labels, labels)) continue;
      pids.push_back(info.pid);
    }
    return pids;
  }

  cp::Client* attach(pid_t pid) {
    auto it = clients.find(pid);
    if (it != clients.end()) {
      if (it->second.alive()) return &it->second;
      clients.erase(it);
      return nullptr;
    }
    std::string reason;
    auto client = cp::Client::attach(pid, &reason);
    if (!client) return nullptr;
    if (!client->telemetry().enabled) {
      const std::uint64_t seq = client->submit(cp::make_telemetry(true));
      if (seq != 0 && client->wait_ack(seq, std::chrono::seconds(1)).status == abi::AckStatus::kApplied)
        switched_on.push_back(pid);
    }
    return &clients.emplace(pid, std::move(*client)).first->second;
  }

  std::map<pid_t, PidSnapshot> snapshot(const std::vector<pid_t>& pids, std::optional<std::uint32_t> klass) {
    std::map<pid_t, PidSnapshot> out;
    for (pid_t pid : pids) {
      cp::Client* client = attach(pid);
      if (client == nullptr) continue;
      const auto snap = client->telemetry();
      out[pid] = PidSnapshot{snap.mono_ns, collect(snap, klass)};
    }
    return out;
  }
};

TelemetrySampler::TelemetrySampler() : impl_(std::make_unique<Impl>()) {}

TelemetrySampler::~TelemetrySampler() {
  for (pid_t pid : impl_->switched_on) {
    auto it = impl_->clients.find(pid);
    if (it != impl_->clients.end() && it->second.alive()) {
      const std::uint64_t seq = it->second.submit(cp::make_telemetry(false));
      if (seq != 0) it->second.wait_ack(seq, std::chrono::milliseconds(500));
    }
  }
}

void TelemetrySampler::reset_windows() {
  std::lock_guard lock(impl_->mu);
  impl_->previous.clear();
}

TelemetryReading TelemetrySampler::read(const std::string& key, const Json& provider,
                                        std::chrono::nanoseconds window, const std::atomic<bool>* cancel) {
  std::string error;
  const auto selector = parse_selector(provider.at("selector"), &error);
  if (!selector) throw std::runtime_error(error);
  const std::string metric = provider.value("metric", "p99");
  std::optional<std::uint32_t> klass;
  if (provider.contains("class")) klass = call_class_from_name(provider["class"].get<std::string>());
  if (provider.contains("window"))
    if (const auto w = duration_from_json(provider["window"])) window = *w;

  std::unique_lock lock(impl_->mu);
  const auto pids = impl_->resolve(*selector);
  if (pids.empty())
    throw std::runtime_error("no live target matches selector " + provider["selector"].dump());
  auto now = impl_->snapshot(pids, klass);
  auto prev_it = impl_->previous.find(key);
  bool have_previous = false;
  if (prev_it != impl_->previous.end())
    for (const auto& [pid, snap] : now) have_previous = have_previous || prev_it->second.count(pid) > 0;
  // A window shorter than asked (the first reading, or two readings back to
  // back at a phase boundary) is waited out: a window of a few microseconds
  // holds no calls and would read as "no traffic".
  std::chrono::nanoseconds wait = window;
  if (have_previous) {
    std::int64_t oldest = INT64_MAX;
    for (const auto& [pid, snap] : prev_it->second)
      if (now.count(pid) > 0) oldest = std::min(oldest, snap.mono_ns);
    std::int64_t newest = 0;
    for (const auto& [pid, snap] : now) newest = std::max(newest, snap.mono_ns);
    wait = oldest == INT64_MAX ? std::chrono::nanoseconds(0)
                               : std::chrono::nanoseconds(std::max<std::int64_t>(
                                     0, oldest + static_cast<std::int64_t>(window.count()) - newest));
  } else {
    impl_->previous[key] = now;
  }
  if (wait.count() > 0) {
    lock.unlock();
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
      if (cancel != nullptr && cancel->load()) break;
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(std::chrono::milliseconds(5), wait));
    }
    lock.lock();
    now = impl_->snapshot(pids, klass);
    prev_it = impl_->previous.find(key);
  }
  const auto& before = prev_it->second;

  Totals delta;
  double elapsed_s = 0;
  std::size_t counted = 0;
  for (const auto& [pid, snap] : now) {
    const auto b = before.find(pid);
    if (b == before.end()) continue;  // appeared during the window: counted from the next one
    ++counted;
    delta.calls += sub(snap.totals.calls, b->second.totals.calls);
    delta.errors += sub(snap.totals.errors, b->second.totals.errors);
    delta.faulted += sub(snap.totals.faulted, b->second.totals.faulted);
    delta.bytes += sub(snap.totals.bytes, b->second.totals.bytes);
    delta.sum_ns += sub(snap.totals.sum_ns, b->second.totals.sum_ns);
    for (std::size_t i = 0; i < delta.buckets.size(); ++i)
      delta.buckets[i] += sub(snap.totals.buckets[i], b->second.totals.buckets[i]);
    elapsed_s = std::max(elapsed_s, static_cast<double>(snap.mono_ns - b->second.mono_ns) / 1e9);
  }
  impl_->previous[key] = now;
  lock.unlock();

  TelemetryReading reading;
  reading.targets = counted;
  const double unit = unit_ns(provider.value("unit", "ms"));
  if (is_latency_metric(metric)) {
    reading.histogram = delta.buckets;
    const bool injected = klass && *klass == static_cast<std::uint32_t>(abi::CallClass::kInjectedDelay);
    if (delta.calls == 0) {
      // No calls: no latency to report. No injected delay: the shim added none.
      reading.value = injected ? Json(0.0) : Json(nullptr);
    } else if (metric == "mean") {
      reading.value = static_cast<double>(delta.sum_ns) / static_cast<double>(delta.calls) / unit;
    } else {
      reading.value = static_cast<double>(bucket_percentile_ns(delta.buckets, quantile_of(metric))) / unit;
    }
  } else if (metric == "error_rate") {
    reading.value = delta.calls == 0
                        ? Json(nullptr)
                        : Json(static_cast<double>(delta.errors) / static_cast<double>(delta.calls));
  } else if (metric == "calls_per_second" || metric == "errors_per_second") {
    const double n = static_cast<double>(metric == "calls_per_second" ? delta.calls : delta.errors);
    reading.value = elapsed_s > 0 ? n / elapsed_s : 0.0;
  } else if (metric == "calls") {
    reading.value = delta.calls;
  } else if (metric == "errors") {
    reading.value = delta.errors;
  } else if (metric == "faulted") {
    reading.value = delta.faulted;
  } else if (metric == "bytes") {
    reading.value = delta.bytes;
  } else if (metric == "targets") {
    reading.value = pids.size();
  }
  return reading;
}

}  // namespace faultline::experiment
