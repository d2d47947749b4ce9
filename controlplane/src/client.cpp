#include "faultline/controlplane/client.h"

#include <errno.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "clock.h"
#include "faultline/controlplane/cpu_relax.h"
#include "faultline/controlplane/futex.h"
#include "fixed_string.h"
#include "messages.h"

namespace faultline::cp {
namespace {

// wait_ack spins this long before sleeping on the ack bell: a target
// already awake answers within microseconds. Kept short: on a machine with
// few CPUs a longer spin holds the CPU the target's apply thread needs.
constexpr std::int64_t kSpinNs = 3'000;
// Longest sleep on the ack bell between checks (a target from before the
// bell never rings it: its acks are then seen within this).
constexpr std::int64_t kBellSleepMaxNs = 1'000'000;
constexpr std::int64_t kAliveCheckNs = 10'000'000;
// A fault slot whose writer stays mid-update this many reads is skipped
// (its writer died or is descheduled); faults() must not hang on it.
constexpr int kSeqlockAttempts = 200;

void sleep_ns(std::int64_t ns) noexcept {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  nanosleep(&ts, nullptr);
}

template <std::size_t N>
std::string from_field(const char (&field)[N]) {
  return std::string(field, strnlen(field, N));
}

bool read_fault_slot(const abi::FaultSlot& s, std::int32_t index, FaultView* out, bool* active) {
  for (int attempt = 0; attempt < kSeqlockAttempts; ++attempt) {
    const std::uint32_t g1 = s.generation.load(std::memory_order_acquire);
    if ((g1 & 1u) != 0) {
      if (attempt < kSeqlockAttempts / 4)
        cpu_relax();
      else
        sleep_ns(10'000);
      continue;
    }
    *active = s.active != 0;
    if (*active) {
      out->slot = index;
      std::memcpy(&out->spec, &s.spec, sizeof(out->spec));
      out->armed_mono_ns = s.armed_mono_ns;
      out->starts_mono_ns = s.starts_mono_ns;
      out->expires_mono_ns = s.expires_mono_ns;
      out->seed = s.seed;
      out->hits = s.hits.load(std::memory_order_relaxed);
      out->matched = s.matched.load(std::memory_order_relaxed);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (s.generation.load(std::memory_order_relaxed) == g1) return true;
  }
  return false;
}

}  // namespace

// ------------------------------------------------------------- attach --

std::optional<Client> Client::attach(pid_t pid, std::string* reason) {
  Segment seg = Segment::open(pid, reason);
  if (!seg.valid()) return std::nullopt;
  if (!target_process_alive(pid, seg.header()->start_mono_ns)) {
    if (reason != nullptr)
      *reason = detail::format("pid %d is not running (stale segment %s; `faultline ps --gc` removes it)",
                               pid, segment_path(pid).c_str());
    return std::nullopt;
  }
  return Client(std::move(seg));
}

bool Client::alive() const {
  const abi::Header& h = header();
  return h.apply_thread_alive.load(std::memory_order_acquire) != 0 &&
         target_process_alive(pid(), h.start_mono_ns) && segment_.linked();
}

// ------------------------------------------------------------ commands --

void request_emergency_clear(abi::Header* header) noexcept {
  const int saved_errno = errno;
  header->emergency_clear.store(1, std::memory_order_release);
  header->doorbell.fetch_add(1, std::memory_order_release);
  futex_wake(&header->doorbell, 1);
  errno = saved_errno;
}

std::uint64_t Client::submit(abi::Command cmd) {
  abi::Header* h = segment_.header();
  cmd.seq = h->next_seq.fetch_add(1, std::memory_order_relaxed) + 1;
  cmd.submit_mono_ns = detail::mono_ns();
  if (!segment_.ring()->bounded_push(cmd)) return 0;
  h->doorbell.fetch_add(1, std::memory_order_release);
  futex_wake(&h->doorbell, 1);
  return cmd.seq;
}

AckResult Client::wait_ack(std::uint64_t seq, std::chrono::nanoseconds timeout) const {
  AckResult r;
  if (seq == 0) {
    r.reason = "no command to wait for (seq 0)";
    return r;
  }
  const abi::Ack& ack = segment_.acks()[seq % abi::kAckSlots];
  const std::int64_t start = detail::mono_ns();
  const std::int64_t deadline = start + timeout.count();
  std::int64_t next_alive_check = start + kAliveCheckNs;
  for (;;) {
    const std::uint64_t s = ack.seq.load(std::memory_order_acquire);
    if (s == seq) {
      r.status = static_cast<abi::AckStatus>(ack.status);
      r.fault_slot = ack.fault_slot;
      r.apply_ns = ack.apply_ns;
      r.applied_mono_ns = ack.applied_mono_ns;
      char reason[abi::kReasonLen];
      std::memcpy(reason, ack.reason, sizeof(reason));
      std::atomic_thread_fence(std::memory_order_acquire);
      if (ack.seq.load(std::memory_order_relaxed) == seq) {
        r.reason = from_field(reason);
        return r;
      }
      r = AckResult{};
    }
    if (s > seq) {
      r.reason = detail::format(
          "the acknowledgement of command %llu was overwritten by a later command (more "
          "than %u in flight)",
          static_cast<unsigned long long>(seq), abi::kAckSlots);
      return r;
    }
    const std::int64_t now = detail::mono_ns();
    if (now >= deadline) {
      r.reason = detail::format("no acknowledgement from pid %d within %.3f ms", pid(),
                                static_cast<double>(timeout.count()) / 1e6);
      return r;
    }
    if (now >= next_alive_check) {
      next_alive_check = now + kAliveCheckNs;
      if (!target_process_alive(pid(), header().start_mono_ns)) {
        r.reason = detail::format("pid %d exited before acknowledging", pid());
        return r;
      }
    }
    if (now - start < kSpinNs) {
      cpu_relax();
      continue;
    }
    // Announce the sleep, then look again: the apply thread bumps the bell
    // after the ack's seq and wakes only if it sees a sleeper, so either it
    // wakes us or we see its bump (and the ack) here.
    abi::Header* h = segment_.header();
    h->ack_sleepers.fetch_add(1, std::memory_order_seq_cst);
    const std::uint32_t bell = h->ack_bell.load(std::memory_order_seq_cst);
    if (ack.seq.load(std::memory_order_acquire) == s)
      futex_wait(&h->ack_bell, bell, std::min(kBellSleepMaxNs, std::min(deadline, next_alive_check) - now));
    h->ack_sleepers.fetch_sub(1, std::memory_order_relaxed);
  }
}

AckResult Client::request(const abi::Command& cmd, std::chrono::nanoseconds timeout) {
  const std::uint64_t seq = submit(cmd);
  if (seq == 0) {
    AckResult r;
    r.reason = detail::format("the command ring of pid %d is full (%u commands pending)", pid(),
                              abi::kCommandRingCapacity);
    return r;
  }
  return wait_ack(seq, timeout);
}

// ------------------------------------------------------------- reading --

std::vector<FaultView> Client::faults() const {
  std::vector<FaultView> out;
  const abi::FaultSlot* slots = segment_.faults();
  for (std::uint32_t i = 0; i < abi::kMaxFaults; ++i) {
    FaultView view;
    bool active = false;
    if (read_fault_slot(slots[i], static_cast<std::int32_t>(i), &view, &active) && active)
      out.push_back(view);
  }
  return out;
}

TelemetrySnapshot Client::telemetry() const {
  const abi::Telemetry& t = *segment_.telemetry();
  constexpr auto relaxed = std::memory_order_relaxed;
  TelemetrySnapshot snap;
  snap.mono_ns = detail::mono_ns();
  snap.wall_ns = detail::wall_ns();
  snap.enabled = t.enabled.load(relaxed) != 0;
  snap.internal_errors = t.internal_errors.load(relaxed);
  snap.commands_applied = t.commands_applied.load(relaxed);
  snap.commands_rejected = t.commands_rejected.load(relaxed);
  snap.classes.resize(abi::kCallClasses);
  for (std::uint32_t c = 0; c < abi::kCallClasses; ++c) {
    const abi::ClassCounters& k = t.counters[c];
    ClassStats& s = snap.classes[c];
    s.calls = k.calls.load(relaxed);
    s.bytes = k.bytes.load(relaxed);
    s.errors = k.errors.load(relaxed);
    s.faulted = k.faulted.load(relaxed);
    s.sum_ns = k.sum_ns.load(relaxed);
    s.max_ns = k.max_ns.load(relaxed);
    s.buckets.resize(abi::kHistBuckets);
    for (std::uint32_t b = 0; b < abi::kHistBuckets; ++b)
      s.buckets[b] = t.histograms[c].buckets[b].load(relaxed);
  }
  snap.errno_counts.resize(abi::kErrnoSlots);
  for (std::uint32_t e = 0; e < abi::kErrnoSlots; ++e) snap.errno_counts[e] = t.errno_counts[e].load(relaxed);
  return snap;
}

std::vector<EventView> Client::events(std::uint64_t from) const {
  std::vector<EventView> out;
  const abi::Header& h = header();
  const abi::Event* ring = segment_.events();
  const std::uint64_t head = h.event_head.load(std::memory_order_acquire);
  const std::uint64_t oldest = head > abi::kEventSlots ? head - abi::kEventSlots : 0;
  for (std::uint64_t index = std::max(from, oldest); index < head; ++index) {
    const abi::Event& e = ring[index % abi::kEventSlots];
    const std::uint64_t s = e.seq.load(std::memory_order_acquire);
    const bool lapped = h.event_head.load(std::memory_order_acquire) > index + abi::kEventSlots;
    if (s != index + 1) {
      if (s > index + 1 || lapped) continue;  // overwritten
      break;                                  // still being written
    }
    EventView v;
    v.index = index;
    v.type = static_cast<abi::EventType>(e.type);
    v.mono_ns = e.mono_ns;
    v.wall_ns = e.wall_ns;
    v.fault_slot = e.fault_slot;
    v.err = e.err;
    v.count = e.count;
    char fault_id[abi::kIdLen];
    char detail_text[abi::kEventDetailLen];
    std::memcpy(fault_id, e.fault_id, sizeof(fault_id));
    std::memcpy(detail_text, e.detail, sizeof(detail_text));
    std::atomic_thread_fence(std::memory_order_acquire);
    if (e.seq.load(std::memory_order_relaxed) != index + 1) continue;  // overwritten while copying
    v.fault_id = from_field(fault_id);
    v.detail = from_field(detail_text);
    out.push_back(std::move(v));
  }
  return out;
}

// ---------------------------------------------------------- histograms --

std::uint64_t ClassStats::count() const {
  std::uint64_t n = 0;
  for (std::uint64_t b : buckets) n += b;
  return n;
}

std::uint64_t ClassStats::percentile_ns(double q) const {
  const std::uint64_t n = count();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank =
      std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n))));
  std::uint64_t seen = 0;
  for (std::uint32_t b = 0; b < buckets.size(); ++b) {
    seen += buckets[b];
    if (seen < rank) continue;
    const std::uint64_t low = abi::hist_bucket_low(b);
    const std::uint64_t high =
        b + 1 < abi::kHistBuckets ? abi::hist_bucket_low(b + 1) - 1 : std::max(low, max_ns);
    return max_ns >= low && max_ns < high ? max_ns : high;
  }
  return max_ns;
}

// ------------------------------------------------------------ builders --

abi::Command make_inject(const abi::FaultSpec& spec) {
  abi::Command cmd{};
  cmd.op = static_cast<std::uint16_t>(abi::CommandOp::kInject);
  cmd.fault = spec;
  return cmd;
}

abi::Command make_clear(const char* fault_id) {
  abi::Command cmd{};
  cmd.op = static_cast<std::uint16_t>(abi::CommandOp::kClear);
  detail::copy_cstr(cmd.target_id, fault_id);
  return cmd;
}

abi::Command make_clear_all() {
  abi::Command cmd{};
  cmd.op = static_cast<std::uint16_t>(abi::CommandOp::kClearAll);
  return cmd;
}

abi::Command make_renew_lease(const char* fault_id, std::int64_t lease_ns) {
  abi::Command cmd{};
  cmd.op = static_cast<std::uint16_t>(abi::CommandOp::kRenewLease);
  cmd.lease_ns = lease_ns;
  detail::copy_cstr(cmd.target_id, fault_id);
  return cmd;
}

abi::Command make_telemetry(bool on) {
  abi::Command cmd{};
  cmd.op = static_cast<std::uint16_t>(abi::CommandOp::kTelemetry);
  cmd.flags = on ? 1 : 0;
  return cmd;
}

}  // namespace faultline::cp
