#include "faultline/controlplane/target.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <type_traits>
#include <utility>

#include "clock.h"
#include "faultline/controlplane/futex.h"
#include "faultline/controlplane/private_fd_table.h"
#include "faultline/controlplane/publish.h"
#include "faultline/controlplane/short_slice.h"
#include "faultline/controlplane/validate.h"
#include "fixed_string.h"
#include "header_check.h"
#include "segment_name.h"

namespace faultline::cp {
namespace {

static_assert(std::is_same_v<pthread_t, unsigned long>, "Target stores pthread_t as unsigned long");
static_assert(sizeof(abi::Event::fault_id) == sizeof(abi::Command::target_id) &&
              sizeof(abi::Event::fault_id) == sizeof(abi::FaultSpec::id));

// The thread wakes at least this often to refresh the heartbeat.
constexpr std::int64_t kMaxSleepNs = 1'000'000'000;

// Stack of the apply thread. Only touched pages become resident; the
// reservation leaves room for the handler compiling a std::regex (which
// recurses) and for the sanitizers' larger frames.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::size_t kApplyThreadStack = std::size_t{1} << 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr std::size_t kApplyThreadStack = std::size_t{1} << 20;
#else
constexpr std::size_t kApplyThreadStack = std::size_t{256} << 10;
#endif
#else
constexpr std::size_t kApplyThreadStack = std::size_t{256} << 10;
#endif

void set_reason(ApplyResult* r, const char* text) noexcept {
  detail::copy_cstr(r->reason, text);
}

// A user or tool may overwrite or truncate /dev/shm/faultline.<pid> behind
// the target's back. Popping a garbage ring crashes the host process, and
// touching pages a truncation cut off raises SIGBUS; so the thread first
// grows a truncated file back (the lost pages return zero-filled), then
// trusts the ring only while the header is still the one it wrote. A corrupt
// segment leaves the process in pass-through: no command is read any more
// (faults armed before still expire). With the segment's own descriptor
// (`fd`, see run()) the size comes from fstat: a path lookup after the
// thread slept took 18 us of a command's 41 (p50) on a VM, fstat 6.
bool segment_intact(const Segment& seg, int fd) noexcept {
  const detail::SegmentName name = detail::segment_name(seg.pid());
  struct stat st {};
  if (fd >= 0) {
    if (fstat(fd, &st) == 0 && static_cast<std::size_t>(st.st_size) < abi::kSegmentSize)
      (void)ftruncate(fd, static_cast<off_t>(abi::kSegmentSize));
  } else if (stat(name.path, &st) == 0 && static_cast<std::size_t>(st.st_size) < abi::kSegmentSize &&
             seg.linked()) {
    (void)truncate(name.path, static_cast<off_t>(abi::kSegmentSize));
  }
  return detail::check_header(*seg.header(), abi::kSegmentSize, seg.pid(), name.path, nullptr);
}

}  // namespace

bool Target::start(const char* program, const char* labels, CommandHandler* handler) noexcept {
  if (running_) return false;
  const int saved_errno = errno;
  int err = 0;
  Segment seg = Segment::create(getpid(), program, labels, &err);
  bool ok = seg.valid();
  if (ok) {
    segment_ = std::move(seg);
    handler_ = handler;
    ok = start_thread();
    if (!ok) {
      Segment::unlink(segment_.pid());
      segment_ = Segment{};
      handler_ = nullptr;
    }
  }
  running_ = ok;
  errno = saved_errno;
  return ok;
}

bool Target::start_thread() noexcept {
  stop_requested_.store(false, std::memory_order_relaxed);
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  pthread_attr_setstacksize(&attr, std::max<std::size_t>(kApplyThreadStack, PTHREAD_STACK_MIN));
  // The thread inherits this mask: the application's signals are never
  // delivered to it, so its handlers never run on our stack.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread{};
  const int rc = pthread_create(&thread, &attr, &Target::thread_main, this);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  if (rc != 0) return false;
  pthread_setname_np(thread, "faultline");
  thread_ = thread;
  return true;
}

void Target::stop() noexcept {
  if (!running_) return;
  const int saved_errno = errno;
  // A fork child that never restarted holds the parent's mapping and no
  // thread: drop the mapping, leave the parent's segment alone.
  if (segment_.pid() == getpid()) {
    abi::Header* h = segment_.header();
    stop_requested_.store(true, std::memory_order_release);
    h->doorbell.fetch_add(1, std::memory_order_release);
    futex_wake(&h->doorbell, INT_MAX);
    pthread_join(thread_, nullptr);
    Segment::unlink(segment_.pid());
  }
  segment_ = Segment{};
  running_ = false;
  thread_ = 0;
  errno = saved_errno;
}

void Target::restart_in_child(const char* program, const char* labels) noexcept {
  if (!running_) return;
  segment_ = Segment{};  // munmap only: the name is the parent's
  running_ = false;
  thread_ = 0;
  start(program, labels, handler_);
}

void* Target::thread_main(void* self) noexcept {
  static_cast<Target*>(self)->run();
  return nullptr;
}

void Target::run() noexcept {
  request_short_slice();  // short_slice.h: a doorbell's wake-up runs at once, even on a busy CPU
  // private_fd_table.h: the host's descriptor lookups stay single-user, and
  // a descriptor of the segment's own is safe to keep: the host never sees it.
  const int segment_fd = use_private_fd_table() ? segment_.open_file() : -1;
  abi::Header* h = segment_.header();
  h->apply_thread_alive.store(1, std::memory_order_release);
  while (!stop_requested_.load(std::memory_order_acquire)) {
    const bool intact = segment_intact(segment_, segment_fd);
    // Read the doorbell before draining: a push that lands after the drain
    // also bumps it, so the wait below returns at once instead of sleeping
    // on a non-empty ring.
    const std::uint32_t bell = h->doorbell.load(std::memory_order_acquire);
    if (h->emergency_clear.exchange(0, std::memory_order_acq_rel) != 0) emergency_clear();
    if (intact) drain();
    std::int64_t now = detail::mono_ns();
    const std::int64_t next = handler_ != nullptr ? handler_->tick(now) : INT64_MAX;
    now = detail::mono_ns();
    h->heartbeat_mono_ns.store(now, std::memory_order_relaxed);
    const std::int64_t sleep_ns =
        next == INT64_MAX ? kMaxSleepNs : std::clamp<std::int64_t>(next - now, 0, kMaxSleepNs);
    if (sleep_ns > 0 && !stop_requested_.load(std::memory_order_acquire))
      futex_wait(&h->doorbell, bell, sleep_ns);
  }
  h->apply_thread_alive.store(0, std::memory_order_release);
  if (segment_fd >= 0) syscall(SYS_close, segment_fd);  // not the wrapper: the number is not the host's
}

void Target::emergency_clear() noexcept {
  if (handler_ == nullptr) return;
  abi::Command cmd{};
  cmd.op = static_cast<std::uint16_t>(abi::CommandOp::kClearAll);
  (void)handler_->apply(cmd, detail::mono_ns());
  segment_.telemetry()->commands_applied.fetch_add(1, std::memory_order_relaxed);
}

void Target::drain() noexcept {
  abi::CommandRing* ring = segment_.ring();
  abi::Telemetry* telemetry = segment_.telemetry();
  abi::Command cmd;
  while (ring->pop(cmd)) {
    ApplyResult result;
    if (!validate_command(cmd, result.reason, sizeof(result.reason))) {
      result.applied = false;
    } else if (handler_ == nullptr) {
      set_reason(&result, "no handler");
    } else {
      result = handler_->apply(cmd, detail::mono_ns());
      result.reason[sizeof(result.reason) - 1] = '\0';
      if (!result.applied && result.reason[0] == '\0')
        set_reason(&result, "rejected by the target (no reason given)");
    }
    const std::int64_t applied_ns = detail::mono_ns();
    // Counted and logged before the ack: a tool that sees its ack sees them.
    if (result.applied) {
      telemetry->commands_applied.fetch_add(1, std::memory_order_relaxed);
    } else {
      telemetry->commands_rejected.fetch_add(1, std::memory_order_relaxed);
      // A bad command's id may be unterminated: publish_event stops at the
      // event's id field, which is as long as the command's.
      const char* id =
          cmd.op == static_cast<std::uint16_t>(abi::CommandOp::kInject) ? cmd.fault.id : cmd.target_id;
      publish_event(segment_, abi::EventType::kCommandRejected, -1, 0, 0, id, result.reason);
    }
    acknowledge(cmd, result, applied_ns);
  }
}

void Target::acknowledge(const abi::Command& cmd, const ApplyResult& result,
                         std::int64_t applied_mono_ns) noexcept {
  if (cmd.seq == 0) return;  // no slot names it; the rejection is counted and logged
  abi::Ack& ack = segment_.acks()[cmd.seq % abi::kAckSlots];
  // A tool may push a command long after taking its seq; by then the slot
  // may hold a later command's ack that its tool has not read yet. Keeping
  // each slot's seq monotonic means no waiting tool ever sees its seq go
  // backwards (it would wait for a value already replaced): the late
  // command's tool sees a newer seq and reports its ack lost instead.
  if (ack.seq.load(std::memory_order_relaxed) > cmd.seq) return;
  // Same protocol as events: incomplete marker, fields, then seq.
  ack.seq.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  ack.status =
      static_cast<std::uint32_t>(result.applied ? abi::AckStatus::kApplied : abi::AckStatus::kRejected);
  ack.fault_slot = result.applied ? result.fault_slot : -1;
  ack.applied_mono_ns = applied_mono_ns;
  ack.apply_ns = cmd.submit_mono_ns > 0 && applied_mono_ns >= cmd.submit_mono_ns
                     ? applied_mono_ns - cmd.submit_mono_ns
                     : 0;
  detail::copy_cstr(ack.reason, result.applied ? "" : result.reason);
  ack.seq.store(cmd.seq, std::memory_order_release);
  // After the seq (client.cpp, wait_ack: the tool announces its sleep, then
  // reads the bell and the seq again).
  abi::Header* h = segment_.header();
  h->ack_bell.fetch_add(1, std::memory_order_seq_cst);
  if (h->ack_sleepers.load(std::memory_order_seq_cst) != 0) futex_wake(&h->ack_bell, INT_MAX);
}

}  // namespace faultline::cp
