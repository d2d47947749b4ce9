// The options of `faultline inject`, declared once here so the command line
// (which registers them), the help text and the builder (which turns the
// given ones into an abi::FaultSpec) agree.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "faultline/controlplane/abi.h"

namespace faultline::cli {

struct FaultOptionInfo {
  const char* name;     // long name without "--"
  const char* metavar;  // what its value looks like in --help, "" for flags
  const char* group;    // help section
  const char* help;
  bool flag;  // takes no value
};
std::span<const FaultOptionInfo> fault_option_table();

// Option name (without "--") -> its text, "" for flags; only options given.
using GivenOptions = std::map<std::string, std::string, std::less<>>;

inline constexpr std::int64_t kDefaultForNs = 60'000'000'000;  // --for when not given
inline constexpr std::int64_t kDefaultRtoNs = 200'000'000;     // loss on TCP: --rto when not given
inline constexpr std::uint32_t kPpm = 1'000'000;

// "latency, loss, reset, ..." for messages.
std::string known_fault_names();

// Builds a fault of kind `kind_name` from the given options and validates it
// as the target will (cp::validate_fault). Without --id it carries a
// generated id (see generate_fault_id). Throws UserError for an unknown kind
// (listing the known ones), an option that does not apply to the kind, a
// bad value, a missing required option, or what validation rejects.
//
// --pct is the chance that a matching call is affected (pct_ppm), except for
// `loss`, where it is the loss probability (loss_ppm, with pct_ppm = 100%):
// the loss models need every call to draw from them to keep their state.
abi::FaultSpec build_fault(std::string_view kind_name, const GivenOptions& given);

// A short unique-looking id for a fault of `kind`, e.g. "lat-3f9a", not in `taken`.
std::string generate_fault_id(abi::FaultKind kind, const std::set<std::string>& taken = {});

}  // namespace faultline::cli
