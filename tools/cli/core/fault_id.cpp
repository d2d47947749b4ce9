#include <cstdio>
#include <random>
#include <string>

#include "faultline/cli/fault.h"

namespace faultline::cli {
namespace {

const char* id_prefix(abi::FaultKind kind) {
  using abi::FaultKind;
  switch (kind) {
    case FaultKind::kLatency:
      return "lat";
    case FaultKind::kLoss:
      return "loss";
    case FaultKind::kReset:
      return "rst";
    case FaultKind::kBlackhole:
      return "bh";
    case FaultKind::kRefuse:
      return "ref";
    case FaultKind::kBandwidth:
      return "bw";
    case FaultKind::kSlice:
      return "slice";
    case FaultKind::kCorrupt:
      return "cor";
    case FaultKind::kDuplicate:
      return "dup";
    case FaultKind::kReorder:
      return "reo";
    case FaultKind::kErrno:
      return "err";
    case FaultKind::kDns:
      return "dns";
    case FaultKind::kStall:
      return "stall";
    case FaultKind::kPqSever:
      return "pqsev";
    case FaultKind::kPqSlow:
      return "pqslow";
    case FaultKind::kPqError:
      return "pqerr";
    case FaultKind::kPqRefuse:
      return "pqref";
    default:
      return "fault";
  }
}

}  // namespace

std::string generate_fault_id(abi::FaultKind kind, const std::set<std::string>& taken) {
  static std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<unsigned> hex4(0, 0xffff);
  for (;;) {
    char id[abi::kIdLen];
    std::snprintf(id, sizeof id, "%s-%04x", id_prefix(kind), hex4(rng));
    if (taken.count(id) == 0) return id;
  }
}

}  // namespace faultline::cli
