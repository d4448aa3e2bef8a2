// bridge::Bridge: the uplink bridge (DESIGN.md, "Store-and-forward"). Local messages that match an
// upstream route are appended to the SQLite outbox before anything is sent, then sent to the remote
// broker over MQTT 5 (Paho MQTTAsync) in outbox order, pipelined up to min(remote Receive Maximum,
// max_inflight); a row is deleted only when the remote acknowledges it. Remote messages that match
// a downstream route are published locally.
//
// Threads.
//  - The core thread (the broker's io_context) runs start(), stop(), the destructor and the local
//    side: one broker::LocalClient subscribes to the upstream filters (No Local) and publishes the
//    downstream messages, so a message that came from the cloud never goes back up.
//  - One bridge thread owns the Outbox and drives the Paho client: appends, group commit, sending,
//    acknowledgements, reconnects with backoff, the stall check, expiry.
//  - Paho's threads run its callbacks, which copy and push into the BridgeInbox (upstream events)
//    or asio::post to the core (downstream messages), and return.
//
// Connection. Each connection attempt uses a new Paho handle (see Uplink): on a lost connection the
// in-flight rows are released and sent again, in order, on the next connection (at-least-once;
// duplicates are bounded by the send window). CONNACK limits are obeyed per message when it is
// sent: QoS capped to Maximum QoS (logged once per route), Retain cleared without Retain
// Available, and a PUBLISH whose exact encoded size exceeds Maximum Packet Size goes to the dead
// letters with the reason (counted, logged rate-limited). Topic aliases are never used.
//
// Ownership: owns the Outbox, the Paho handle, the LocalClient and the bridge thread; borrows the
// io_context, the Broker and the Clock, which must outlive it.
// Thread safety: construct, start(), stop() and destroy on the core thread (or while the core
// io_context is not running); stats() from any thread.
#pragma once

// Standard headers before Asio: Asio picks its aligned allocation functions from macros that
// <bits/c++config.h> defines, and every translation unit must make the same choice (ODR).
#include <memory>
#include <mutex>
#include <thread>

#include <asio/io_context.hpp>

#include "broker/broker.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "gateway/bridge/bridge_options.hpp"
#include "gateway/bridge/bridge_stats.hpp"

namespace gw::bridge {

class BridgeInbox;
class BridgeLoop;
struct CoreSide;

class Bridge {
 public:
  Bridge(asio::io_context& core, broker::Broker& broker, BridgeOptions options, core::Clock& clock);
  // stop() if still running.
  ~Bridge();
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Opens the outbox, subscribes the upstream filters locally, starts the bridge thread, which
  // connects. Errors (nothing is left running): the Outbox::open errors ("sqlite" and "outbox"
  // domains: missing directory, locked or foreign file...); MqttErrc::TopicFilterInvalid for a bad
  // local filter; std::errc::invalid_argument when there are no servers, a route is invalid or
  // start() was already called.
  Result<void> start();

  // Stops taking local messages, appends and commits what was queued, publishes the offline status
  // and disconnects cleanly (waiting for acknowledgements in flight), joins the bridge thread.
  // Bounded by options.stop_timeout (plus one outbox commit). Idempotent.
  void stop();

  [[nodiscard]] BridgeStats stats() const;

 private:
  asio::io_context& core_;
  broker::Broker& broker_;
  BridgeOptions options_;
  core::Clock& clock_;

  std::shared_ptr<CoreSide> core_side_;  // core thread state, shared with posted work
  std::shared_ptr<BridgeInbox> inbox_;
  std::unique_ptr<BridgeLoop> loop_;     // bridge-thread state
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace gw::bridge
