// LoadOptions: what one mqtt_load run does (parsed from the command line in mqtt_load.cpp).
//
// Every run is bounded: a publish phase of --messages per publisher or --duration seconds, then a
// drain of at most drain_timeout, with hard caps on connection counts and sizes checked by
// validate(); nothing waits forever.
//
// Thread safety: a value type.
#pragma once

#include <cstdint>
#include <string>

#include "broker/protocol/protocol_version.hpp"
#include "core/message.hpp"

namespace gw::bench {

struct LoadOptions {
  std::string host = "127.0.0.1";  // loopback only: validate() refuses anything else
  std::uint16_t port = 1883;
  std::uint32_t publishers = 1;
  std::uint32_t subscribers = 1;
  std::uint32_t idle = 0;  // extra connections that only CONNECT and stay silent
  QoS qos = QoS::AtMostOnce;
  std::uint32_t payload = 100;  // bytes; at least kMinPayload (timestamp, publisher, sequence)
  std::uint64_t messages = 0;   // per publisher; 0 = publish for `duration_s`
  double duration_s = 0;        // publish phase length when messages == 0
  double rate = 0;              // messages/s over all publishers; 0 = as fast as possible
  std::uint32_t inflight = 16;  // per publisher, QoS > 0; lowered to the broker's Receive Maximum
  // Closed loop: publishers pause while more than this many messages (per subscriber) were sent
  // but not yet delivered, so a broker's queue limit is never reached; 0 = open loop.
  std::uint32_t max_backlog = 0;
  // MQTT 5 Session Expiry Interval the subscribers ask for, so that a broker keeps (and, with
  // persistence, stores) their sessions; 0 = none.
  std::uint32_t session_expiry = 0;
  broker::protocol::ProtocolVersion version = broker::protocol::ProtocolVersion::V5;
  std::string topic = "bench";  // publisher i sends to <topic>/<i>; subscribers take <topic>/#
  double hold_s = 0;            // after setup, keep every connection open this long before traffic
  double drain_timeout_s = 10;  // after the publish phase, wait at most this for deliveries
  double setup_timeout_s = 30;  // connecting and subscribing
  double run_timeout_s = 120;   // hard cap on the publish phase in --messages mode
  std::uint32_t connect_burst = 64;  // connections in the CONNECT handshake at once
  // Connect-rate mode (exclusive with publishers, subscribers and idle): this many cycles of
  // connect + CONNECT + CONNACK + DISCONNECT, `parallel` at a time.
  std::uint64_t connect_cycles = 0;
  std::uint32_t parallel = 1;
  // Receive-only mode (publishers == 0): the publishers run in another mqtt_load process (fan-out
  // over several generator processes); sizes the per-publisher sequence tracking. The receive
  // phase ends 2 s after the last delivery, or after run_timeout_s.
  std::uint32_t remote_publishers = 0;
  std::string ready_file;  // created once every connection is set up (and held), for a script
  int broker_pid = 0;                // 0 = do not measure the broker's memory and CPU
  std::string label;                 // copied into the output, e.g. "edge-gateway"
};

// Payload layout: [0, 8) send time (steady clock, ns), [8, 12) publisher index, [12, 16) sequence.
inline constexpr std::uint32_t kMinPayload = 16;

// An explanation of the first problem found, or an empty string when the options are usable.
[[nodiscard]] std::string validate(const LoadOptions& options);

}  // namespace gw::bench
