// Fuzz target for the target's command decoder: whatever bytes a tool (or a
// corrupted segment) leaves in a ring entry, the target validates them and
// either rejects the command with a reason or applies it, and the hot path
// then keeps deciding calls — never a crash, hang or out-of-bounds access.
// The same path as cp::Target: validate_command, then the shim's
// PlanManager::apply and tick, then decide() on sockets the fault may match.
#include "command_decoder_fuzz.h"

#include <cstdint>
#include <cstring>

#include "faultline/controlplane/abi.h"
#include "faultline/controlplane/client.h"
#include "faultline/controlplane/validate.h"
#include "faultline/shim/clock.h"
#include "faultline/shim/engine.h"
#include "faultline/shim/plan_manager.h"

namespace faultline::fuzz {

namespace {

shim::SocketInfo loopback_socket(abi::Proto proto, std::uint16_t port) {
  shim::SocketInfo s{};
  s.proto = static_cast<std::uint8_t>(proto);
  s.family = 4;
  s.datagram = proto == abi::Proto::kUdp ? 1 : 0;
  s.has_peer = 1;
  s.peer_port = port;
  s.peer_addr[0] = 127;
  s.peer_addr[3] = 1;
  return s;
}

abi::FaultSpec base_fault(abi::FaultKind kind) {
  abi::FaultSpec f{};
  std::strcpy(f.id, "fz-1");
  f.kind = static_cast<std::uint16_t>(kind);
  f.pct_ppm = 1'000'000;
  f.for_ns = 1'000'000'000;
  f.delay_ns = 1'000;
  f.jitter_ns = 500;
  f.correlation_ppm = 750'000;
  f.loss_ppm = 500'000;
  f.ge_p_ppm = 10'000;
  f.ge_r_ppm = 500'000;
  f.ge_1h_ppm = 1'000'000;
  f.rate_bytes_per_s = 1'000'000;
  f.slice_max = 16;
  f.gap = 3;
  f.err = 104;
  std::strcpy(f.host_glob, "*.example");
  std::strcpy(f.sqlstate, "40001");
  f.match.proto = static_cast<std::uint8_t>(abi::Proto::kUdp);
  return f;
}

}  // namespace

std::vector<abi::Command> seed_commands() {
  std::vector<abi::Command> seeds;
  for (auto k = static_cast<std::uint16_t>(abi::FaultKind::kLatency);
       k < static_cast<std::uint16_t>(abi::FaultKind::kCount); ++k) {
    seeds.push_back(cp::make_inject(base_fault(static_cast<abi::FaultKind>(k))));
  }
  seeds.push_back(cp::make_clear("fz-1"));
  seeds.push_back(cp::make_clear_all());
  seeds.push_back(cp::make_renew_lease("fz-1", 1'000'000));
  seeds.push_back(cp::make_telemetry(true));
  for (abi::Command& c : seeds) c.seq = 1;  // submit() numbers commands from 1
  return seeds;
}

bool apply_patched(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return false;
  static const std::vector<abi::Command> seeds = seed_commands();
  abi::Command cmd = seeds[data[0] % seeds.size()];
  auto* bytes = reinterpret_cast<std::uint8_t*>(&cmd);
  for (std::size_t i = 1; i + 2 < size; i += 3) {
    const std::size_t offset = (data[i] | (static_cast<std::size_t>(data[i + 1]) << 8)) % sizeof cmd;
    bytes[offset] = data[i + 2];
  }
  return decode_and_apply(bytes, sizeof cmd);
}

bool decode_and_apply(const std::uint8_t* data, std::size_t size) {
  abi::Command cmd;
  std::memset(&cmd, 0, sizeof cmd);
  std::memcpy(&cmd, data, size < sizeof cmd ? size : sizeof cmd);

  char reason[abi::kReasonLen];
  if (!cp::validate_command(cmd, reason, sizeof reason)) {
    // A rejection must always say why, within bounds.
    if (reason[0] == '\0' || std::memchr(reason, '\0', sizeof reason) == nullptr) __builtin_trap();
    return false;
  }

  // One manager per input keeps runs independent; it unpublishes its plan
  // when destroyed.
  shim::PlanManager manager;
  // The real clock: the plan pool reuses a retired plan only after a grace
  // period measured on it.
  const std::int64_t now = shim::now_ns();
  const cp::ApplyResult result = manager.apply(cmd, now);
  if (!result.applied && std::memchr(result.reason, '\0', sizeof result.reason) == nullptr) __builtin_trap();
  manager.tick(now + cmd.fault.after_ns);

  // Exercise the hot path against what may now be armed, with tiny sizes so
  // no model asks for a real wait (decide() only computes verdicts).
  for (abi::Proto proto : {abi::Proto::kTcp, abi::Proto::kUdp}) {
    const shim::SocketInfo s = loopback_socket(proto, cmd.fault.match.dst_port);
    for (int i = 0; i < 4; ++i) {
      (void)shim::decide(shim::Op::kSend, abi::Direction::kEgress, s, 64);
      (void)shim::decide(shim::Op::kRecv, abi::Direction::kIngress, s, 64);
    }
  }
  manager.tick(now + cmd.fault.after_ns + cmd.fault.for_ns + 1);
  return result.applied;
}

}  // namespace faultline::fuzz
