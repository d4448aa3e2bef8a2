// Pingresp: the PINGRESP packet (MQTT 5 §3.13), a fixed header alone.
// Thread safety: a value type.
#pragma once

namespace gw::broker::protocol {

struct Pingresp {
  friend bool operator==(const Pingresp&, const Pingresp&) = default;
};

}  // namespace gw::broker::protocol
