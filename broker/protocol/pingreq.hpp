// Pingreq: the PINGREQ packet (MQTT 5 §3.12), a fixed header alone.
// Thread safety: a value type.
#pragma once

namespace gw::broker::protocol {

struct Pingreq {
  friend bool operator==(const Pingreq&, const Pingreq&) = default;
};

}  // namespace gw::broker::protocol
