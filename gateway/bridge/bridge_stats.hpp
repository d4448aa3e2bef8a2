// bridge::BridgeStats: a snapshot of the bridge's state and counters, for metrics, the status line
// and tests. Counters start at zero when the Bridge is constructed; gauges describe the moment of
// the snapshot (refreshed by the bridge thread at least every 100 ms while it runs).
//
// Ownership and thread safety: a value type; Bridge::stats() returns a copy, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/bridge/link_event.hpp"
#include "gateway/bridge/outbox_stats.hpp"
#include "gateway/bridge/send_refusal.hpp"

namespace gw::bridge {

struct BridgeStats {
  // Link.
  bool connected = false;
  std::string server;      // URI of the connected server; empty when disconnected
  ServerLimits limits;     // from the last CONNACK
  std::uint64_t connects = 0;          // successful CONNACKs
  std::uint64_t connect_failures = 0;  // attempts that ended without CONNACK
  std::uint64_t reconnects = 0;        // connections lost (or recycled) after CONNACK
  std::uint64_t stalls = 0;            // connections recycled by the stall check
  std::uint64_t resumed = 0;           // exchanges continued on a resumed session (MQTT 5 §4.4)

  // Upstream.
  std::uint64_t received = 0;            // local messages handed to the bridge (one per route)
  std::uint64_t dropped_queue_full = 0;  // refused because the hand-off queue was full
  std::uint64_t append_failures = 0;     // the outbox refused them (full, disk, sqlite error)
  std::uint64_t sent = 0;                // PUBLISHes handed to Paho (retransmissions included)
  std::uint64_t acked = 0;               // acknowledged by the remote; rows deleted
  std::uint64_t send_failures = 0;       // Paho or the remote refused one; row sent again later
  std::uint64_t dead_lettered = 0;       // moved to the dead letters by the bridge, all reasons
  std::uint64_t oversize = 0;            // ... of which over the remote's Maximum Packet Size
  std::uint64_t qos_downgraded = 0;      // sent with a lower QoS than asked (remote Maximum QoS)
  std::uint64_t retain_cleared = 0;      // sent without Retain (remote Retain Available = 0)
  std::uint64_t inflight = 0;            // sent, not yet acknowledged
  std::uint64_t inflight_high_water = 0;  // the largest `inflight` seen

  // Downstream.
  std::uint64_t downstream_received = 0;   // PUBLISHes from the remote
  std::uint64_t downstream_published = 0;  // published locally
  std::uint64_t downstream_dropped = 0;    // no route, bad mapped topic or hand-off full

  // Sends the client library refused before anything was sent (MQTTAsync_sendMessage failed),
  // by reason; not in `send_failures`. The row stays stored and is sent again after a pause.
  SendRefusalCounts send_refused;

  // The outbox (rows and bytes = the backlog).
  OutboxStats outbox;
};

}  // namespace gw::bridge
