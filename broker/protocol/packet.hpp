// Packet: any MQTT control packet, as a std::variant of one struct per packet type. Dispatch
// with std::visit and Overloaded:
//   std::visit(Overloaded{[&](const Publish& p) { ... }, [&](const auto&) { ... }}, packet);
//
// Ownership: owns everything it holds. Thread safety: a value type.
#pragma once

#include <variant>

#include "broker/protocol/auth.hpp"
#include "broker/protocol/connack.hpp"
#include "broker/protocol/connect.hpp"
#include "broker/protocol/disconnect.hpp"
#include "broker/protocol/packet_type.hpp"
#include "broker/protocol/pingreq.hpp"
#include "broker/protocol/pingresp.hpp"
#include "broker/protocol/puback.hpp"
#include "broker/protocol/pubcomp.hpp"
#include "broker/protocol/publish.hpp"
#include "broker/protocol/pubrec.hpp"
#include "broker/protocol/pubrel.hpp"
#include "broker/protocol/suback.hpp"
#include "broker/protocol/subscribe.hpp"
#include "broker/protocol/unsuback.hpp"
#include "broker/protocol/unsubscribe.hpp"

namespace gw::broker::protocol {

// The alternatives are in packet type order, so index() + 1 is the wire packet type.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

[[nodiscard]] inline PacketType type_of(const Packet& packet) noexcept {
  return static_cast<PacketType>(packet.index() + 1);
}

// The visitor helper for std::visit over Packet.
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace gw::broker::protocol
