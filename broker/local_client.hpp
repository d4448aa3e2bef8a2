// broker::LocalClient: the in-process client API for the adapters and the bridge. Publishes and
// subscribes on the core thread without a socket or a codec; messages are the same shared,
// immutable gw::Message objects the broker routes, so a local subscriber costs one callback per
// message and no copy.
//
//   LocalClient adapters(broker, "adapters");
//   adapters.publish(Message{.topic = "plant-1/boiler/temp", .payload = R"({"value":21.5})"});
//   auto ok = adapters.subscribe("plant-1/+/+/set", [](const std::shared_ptr<const Message>& m) {
//     ...  // runs on the core thread; may publish, subscribe and unsubscribe
//   });
//
// Delivery: on the core thread, from the event loop right after the routing that matched it
// (never inside routing, so a handler may do anything a core-thread caller may). Handlers that
// throw are logged and counted; the others still run. Local subscribers have no QoS or session:
// they see every message routed while subscribed.
//
// Ownership: borrows the Broker, which must outlive it; unsubscribes everything when destroyed.
// Thread safety: core thread only. From another thread, asio::post to the core first.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "broker/broker.hpp"
#include "core/message.hpp"
#include "core/result.hpp"

namespace gw::broker {

class LocalClient {
 public:
  using Handler = Broker::LocalHandler;

  LocalClient(Broker& broker, std::string name);
  ~LocalClient();
  LocalClient(const LocalClient&) = delete;
  LocalClient& operator=(const LocalClient&) = delete;

  // Routes `message` like a client's PUBLISH (retained messages are stored). With no_local
  // subscriptions, this client does not get its own messages back.
  // Errors: MqttErrc::TopicNameInvalid for a topic that is not a valid topic name;
  // MqttErrc::NotAuthorized for a topic in $SYS/ (broker/sys_topic.hpp), which only the broker's
  // own statistics publisher writes, through Broker::publish; MqttErrc::MalformedPacket for a
  // string property longer than MQTT can carry (65,535 bytes).
  Result<void> publish(Message message);

  struct SubscribeOptions {
    // Do not deliver this client's own publishes (MQTT 5 No Local): a bridge that republishes
    // remote messages locally must not receive them back.
    bool no_local = false;
    // Deliver the retained messages matching the filter right away.
    bool send_retained = true;
  };
  // Adds or replaces the subscription to `filter` ("$share/..." included).
  // Errors: MqttErrc::TopicFilterInvalid.
  Result<void> subscribe(std::string filter, Handler handler, SubscribeOptions options);
  Result<void> subscribe(std::string filter, Handler handler) {
    return subscribe(std::move(filter), std::move(handler), SubscribeOptions{});
  }
  // false when there was no such subscription.
  bool unsubscribe(std::string_view filter);

  // Back-pressure (broker/backpressure.hpp): `backlog` is the queue this client's handlers feed
  // and another thread takes from. Network publishers routing into this client's subscriptions
  // are paused while it is above high water. Null removes it.
  void set_backlog(std::shared_ptr<LocalBacklog> backlog);
  // The backlog's consumer took from it (the answer to LocalBacklog::request_progress()).
  void on_backlog_progress();

  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  Broker& broker_;
  std::string name_;
  SubscriberId id_;
};

}  // namespace gw::broker
