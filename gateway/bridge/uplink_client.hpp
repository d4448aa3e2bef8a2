// bridge::UplinkClient: the bridge's link to the remote broker, one connection from the first
// CONNECT to the connection's end, whatever MQTT client implements it (BridgeOptions::client):
// Uplink over Paho MQTT C, or NativeUplink over Asio and the project's own codec. The Bridge
// makes a new one for every connection attempt, so no request token crosses from one connection
// to the next, and a late event of an old connection is recognised by its generation and ignored.
// What was in flight is sent again after a reconnect: with a client that can_resume() and a
// resumed session, as the same exchanges (publish_with_id()); otherwise as new PUBLISHes, in outbox order.
//
// Every request is asynchronous; its outcome arrives as a LinkEvent through the LinkSink, from
// the client's own thread, possibly before the request call returns.
//
// Ownership: see each implementation; callback_context() must be kept alive a while after the
// client is destroyed (a callback may still be returning on the client's thread), see BridgeLoop.
// Thread safety: one owner thread calls everything; never destroy it from one of its callbacks.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/message.hpp"
#include "core/result.hpp"
#include "gateway/bridge/bridge_options.hpp"
#include "gateway/bridge/link_event.hpp"

namespace gw::bridge {

class UplinkClient {
 public:
  virtual ~UplinkClient() = default;

  // Starts CONNECT to the servers in order (Clean Start false, Session Expiry, our Receive Maximum
  // and Maximum Packet Size, the offline will when a status topic is set). Reports Connected or
  // ConnectFailed. The will goes with `will_qos` and `will_retain` (lowered by the Bridge after a
  // CONNACK 0x9A / 0x9B). Errors: when the request itself is refused (implementation's domain).
  virtual Result<void> connect(QoS will_qos, bool will_retain) = 0;
  // Starts a PUBLISH of `message` as it is (topic, QoS, retain, properties); returns the token
  // that SendDone / SendFailed will carry (0 for QoS 0, whose outcomes arrive in send order).
  // Errors (nothing was sent): not connected, no packet identifier or buffer left.
  virtual Result<int> publish(const Message& message) = 0;
  // What publish_with_id() sends.
  enum class Attempt : std::uint8_t {
    First,    // the PUBLISH, DUP 0
    Again,    // the PUBLISH again, DUP 1: an exchange of an earlier connection (MQTT 5 §4.4)
    Release,  // only the PUBREL: the server answered the PUBLISH with PUBREC earlier
  };
  // A QoS 1/2 PUBLISH (or its PUBREL) with the caller's packet identifier: to continue an
  // exchange on a resumed session (CONNACK Session Present 1), or to start one whose identifier
  // was recorded before it leaves. The outcome arrives as for publish(), with `packet_id` as the
  // token. Errors: as publish(); std::errc::invalid_argument for identifier 0, QoS 0 or an
  // identifier in use on this connection; std::errc::operation_not_supported when !can_resume().
  virtual Result<int> publish_with_id(const Message& message, std::uint16_t packet_id, Attempt attempt) = 0;
  // True when the client implements publish_with_id() and reports Received; packet identifiers
  // are then the tokens.
  [[nodiscard]] virtual bool can_resume() const = 0;
  // SUBSCRIBE with No Local (our own publications never come back). Reports SubscribeFailed only.
  virtual Result<void> subscribe(const std::string& filter, QoS qos) = 0;
  // Between hold_sends() and release_sends(), what publish() and publish_with_id() queue may wait
  // and leave together at release_sends(): one write for a round of PUBLISHes instead of one
  // each. Optional (the default sends at once); release_sends() must follow.
  virtual void hold_sends() {}
  virtual void release_sends() {}
  // DISCONNECT (reason 0: the will is discarded); reports Disconnected.
  virtual Result<void> disconnect(std::chrono::milliseconds timeout) = 0;

  // The link's I/O when it runs on the owner's thread (see LinkDriver); nullptr when the client
  // has threads of its own.
  [[nodiscard]] virtual LinkDriver* driver() { return nullptr; }

  [[nodiscard]] virtual std::uint64_t generation() const = 0;
  // What the client's callbacks use; kept by the BridgeLoop after the client is gone.
  [[nodiscard]] virtual std::shared_ptr<const void> callback_context() const = 0;
};

// The client BridgeOptions::client names, for one connection attempt with `generation`. The
// native client runs its I/O on the caller's thread, through driver().
// Errors: those of Uplink::create or NativeUplink::create.
Result<std::unique_ptr<UplinkClient>> make_uplink_client(const BridgeOptions& options,
                                                         std::string client_id,
                                                         std::uint64_t generation,
                                                         std::shared_ptr<LinkSink> sink);

}  // namespace gw::bridge
