// The end of a host whose last thread of its own ends while the shim's
// threads run on.
//
// Without the shim, when the last thread of a program ends (the main
// thread calling pthread_exit, a thread returning after the main thread
// did, a cancelled one), glibc ends the process with exit(0). The shim's
// threads never end, so that process would linger forever. Two ways out:
//
//   pthread_exit   the interposed one, and the return of a thread the host
//                  started with pthread_create (thread_hooks.cpp), call
//                  exit(0) themselves when the thread is the host's last:
//                  in the host's thread, so atexit handlers and stdio's
//                  final flush see the host's descriptors. Unlike glibc,
//                  pthread_exit does so before the thread's cleanup
//                  handlers would run.
//   HostExitWatch  the apply thread's handler: the plan manager, plus a
//                  look at /proc/self/stat once a second; a zombie main
//                  thread and nothing but the shim's threads means the host
//                  ended another way (its last thread cancelled, or a C11
//                  thread's return), and it calls
//                  exit(0). The apply thread has its own descriptor table
//                  (controlplane/private_fd_table.h), so output still
//                  buffered in stdio is lost then.
#pragma once

#include <cstdint>

#include "faultline/controlplane/target.h"
#include "faultline/shim/plan_manager.h"

namespace faultline::preload {

class HostExitWatch final : public cp::CommandHandler {
 public:
  explicit HostExitWatch(shim::PlanManager* manager) noexcept : manager_(manager) {}
  cp::ApplyResult apply(const abi::Command& cmd, std::int64_t now_mono_ns) noexcept override {
    return manager_->apply(cmd, now_mono_ns);
  }
  std::int64_t tick(std::int64_t now_mono_ns) noexcept override;

 private:
  shim::PlanManager* manager_;
  std::int64_t next_check_ns_ = 0;
};

// True if the calling thread is the only thread of the host's own left
// (the shim's do not count, nor a main thread that already ended).
bool is_last_host_thread() noexcept;

}  // namespace faultline::preload
