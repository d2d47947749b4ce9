#include "faultline/shim/match_filter.h"

namespace faultline::shim {

void add_to_filter(MatchFilter& f, const CompiledMatch& m) noexcept {
  constexpr std::uint8_t kSocketProtos = (1u << static_cast<unsigned>(abi::Proto::kTcp)) |
                                         (1u << static_cast<unsigned>(abi::Proto::kUdp)) |
                                         (1u << static_cast<unsigned>(abi::Proto::kUnix));
  // A proto kAny match selects TCP, UDP and unix sockets, never other families.
  const std::uint8_t protos = m.proto == static_cast<std::uint8_t>(abi::Proto::kAny)
                                  ? kSocketProtos
                                  : static_cast<std::uint8_t>(1u << (m.proto & 7u));
  const std::uint8_t families = m.family == 0 ? std::uint8_t{7} : MatchFilter::family_bit(m.family);
  for (int i = 0; i < 2; ++i) {
    const auto call_dir = i == 0 ? abi::Direction::kEgress : abi::Direction::kIngress;
    if (m.dir != static_cast<std::uint8_t>(abi::Direction::kBoth) &&
        m.dir != static_cast<std::uint8_t>(call_dir))
      continue;
    MatchFilter::Side& side = f.sides[i];
    side.protos |= protos;
    side.families |= families;
    if (m.dst_port != 0)
      side.dst_ports |= std::uint64_t{1} << (m.dst_port & 63u);
    else if (m.src_port != 0)
      side.src_ports |= std::uint64_t{1} << (m.src_port & 63u);
    else
      side.any_port = 1;
  }
}

}  // namespace faultline::shim
