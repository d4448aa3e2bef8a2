// bridge::Uplink: the Paho implementation of UplinkClient (BridgeOptions::client paho, the
// default): one Paho MQTTAsync client handle (MQTT 5) for one connection to the remote, from
// the first CONNECT to the connection's end. The Bridge makes a new Uplink for every connection
// attempt, so Paho never carries in-flight state or request tokens from one connection to the
// next: after a reconnect the outbox alone decides what is sent again, and a late callback of an
// old connection is recognised by its generation and ignored.
//
// Every request is asynchronous; its outcome arrives as a LinkEvent through the LinkSink, from a
// Paho thread, possibly before the request call returns.
//
// Ownership: owns the handle (MQTTAsync_destroy in the destructor) and every string Paho may read
// later. The callback context is shared: context() must be kept alive a while after the Uplink is
// destroyed (a callback may still be returning on a Paho thread), see Bridge.
// Thread safety: one owner thread calls everything; never destroy it from a Paho callback.
#pragma once

#include <MQTTAsync.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/message.hpp"
#include "core/result.hpp"
#include "gateway/bridge/bridge_options.hpp"
#include "gateway/bridge/link_event.hpp"
#include "gateway/bridge/uplink_client.hpp"

namespace gw::bridge {

class Uplink final : public UplinkClient {
  // Lets create() use make_unique with a constructor nobody else can call.
  struct Key {
    explicit Key() = default;
  };

 public:
  // What every callback gets: shared, so that the sink outlives a callback still returning.
  struct Context {
    std::shared_ptr<LinkSink> sink;
    std::uint64_t generation;
  };

  // Creates the handle (MQTT 5, no Paho persistence, no sending while disconnected).
  // `client_id` may be empty (the server assigns one). Errors: "paho" codes (BadProtocol for a URI
  // that is neither mqtt:// nor mqtts://, ...).
  static Result<std::unique_ptr<Uplink>> create(const BridgeOptions& options, std::string client_id,
                                                std::uint64_t generation,
                                                std::shared_ptr<LinkSink> sink);
  ~Uplink() override;
  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;

  // Starts CONNECT to the servers in order (Clean Start false, Session Expiry, our Receive Maximum
  // and Maximum Packet Size, the offline will when a status topic is set). Reports Connected or
  // ConnectFailed. The will goes with `will_qos` and `will_retain` (lowered by the Bridge after a
  // CONNACK 0x9A / 0x9B). Errors: "paho" codes when the request itself is refused.
  Result<void> connect(QoS will_qos, bool will_retain) override;
  // Starts a PUBLISH of `message` as it is (topic, QoS, retain, properties); returns the token
  // that SendDone / SendFailed will carry (0 for QoS 0, whose outcomes arrive in send order).
  // Errors: "paho" codes (Disconnected, MaxMessagesInflight, ...): nothing was sent.
  Result<int> publish(const Message& message) override;
  // Paho chooses its packet identifiers and reports no PUBREC: an exchange cannot be continued on a
  // new connection. Always std::errc::operation_not_supported.
  Result<int> publish_with_id(const Message& message, std::uint16_t packet_id, Attempt attempt) override;
  [[nodiscard]] bool can_resume() const override { return false; }
  // SUBSCRIBE with No Local (our own publications never come back). Reports SubscribeFailed only.
  Result<void> subscribe(const std::string& filter, QoS qos) override;
  // DISCONNECT (reason 0: the will is discarded); reports Disconnected.
  Result<void> disconnect(std::chrono::milliseconds timeout) override;

  [[nodiscard]] std::uint64_t generation() const override { return context_->generation; }
  [[nodiscard]] std::shared_ptr<const Context> context() const { return context_; }
  [[nodiscard]] std::shared_ptr<const void> callback_context() const override { return context_; }

  // Public for make_unique only (Key is private).
  Uplink(Key, const BridgeOptions& options, std::string client_id, std::shared_ptr<Context> context);

 private:

  static void on_connect_success(void* ctx, MQTTAsync_successData5* data);
  static void on_connect_failure(void* ctx, MQTTAsync_failureData5* data);
  static void on_send_success(void* ctx, MQTTAsync_successData5* data);
  static void on_send_failure(void* ctx, MQTTAsync_failureData5* data);
  static void on_subscribe_success(void* ctx, MQTTAsync_successData5* data);
  static void on_subscribe_failure(void* ctx, MQTTAsync_failureData5* data);
  static void on_disconnect_success(void* ctx, MQTTAsync_successData5* data);
  static void on_disconnect_failure(void* ctx, MQTTAsync_failureData5* data);
  static void on_connection_lost(void* ctx, char* cause);
  static int on_message(void* ctx, char* topic, int topic_len, MQTTAsync_message* message);

  const BridgeOptions& options_;
  std::string client_id_;
  std::shared_ptr<Context> context_;
  MQTTAsync handle_ = nullptr;
  // Strings Paho may read after the call that passed them.
  std::vector<std::string> uris_;
  std::vector<char*> uri_ptrs_;
  std::string will_payload_;
};

}  // namespace gw::bridge
