// bridge::LinkEvent and LinkSink: what an uplink client reports. Paho's callbacks (Uplink) run on
// Paho's threads, a NativeUplink's handlers on its I/O thread or its owner's (LinkDriver); they
// copy what they need into a LinkEvent (or a Message) and hand it to the sink, which queues it
// for the bridge thread (or posts it to the core) and returns at once.
//
// Ownership: value types. Thread safety: LinkSink implementations must accept calls from any
// thread, including from inside Uplink calls made by the bridge thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/message.hpp"

namespace gw::bridge {

// What the remote announced in CONNACK (MQTT 5 §3.2.2.3), with the spec's defaults for absent
// properties.
struct ServerLimits {
  std::uint16_t receive_maximum = 65535;           // §3.2.2.3.3
  std::optional<std::uint32_t> max_packet_size;    // §3.2.2.3.6; nullopt = no limit
  QoS maximum_qos = QoS::ExactlyOnce;              // §3.2.2.3.4
  bool retain_available = true;                    // §3.2.2.3.5
  std::uint16_t topic_alias_maximum = 0;           // §3.2.2.3.8
  std::optional<std::uint16_t> server_keep_alive;  // §3.2.2.3.14
  std::optional<std::string> assigned_client_id;   // §3.2.2.3.7
  bool session_present = false;
  std::string server_uri;  // the server that answered
};

struct LinkEvent {
  enum class Kind : std::uint8_t {
    Connected,       // CONNACK success; `limits` filled
    ConnectFailed,   // every server refused or timed out; `code`, `reason`, `text`
    ConnectionLost,  // the connection broke after CONNACK; `text`
    SendDone,        // PUBACK / PUBCOMP, or QoS 0 written; `token`
    Received,        // a successful PUBREC of a QoS 2 PUBLISH (`token`): PUBREL is what remains
    SendFailed,      // `token`, `code` (Paho), `reason` (MQTT reason code from the ack, if any)
    SubscribeFailed,  // `text` names the filter
    Disconnected,    // our DISCONNECT completed (or failed: the connection is gone either way)
  };
  Kind kind = Kind::ConnectFailed;
  std::uint64_t generation = 0;  // which Uplink reported it
  int token = 0;
  int code = 0;    // Paho return code (MQTTASYNC_*)
  int reason = 0;  // MQTT 5 reason code, 0 when none
  std::string text;
  ServerLimits limits;
};

class LinkSink {
 public:
  virtual void on_link_event(LinkEvent&& event) = 0;
  // Several events at once, in order (the native client reports what one read brought together):
  // one hand-off instead of one per event. Leaves `events` in a valid but unspecified state.
  virtual void on_link_events(std::vector<LinkEvent>& events) {
    for (auto& e : events) on_link_event(std::move(e));
  }
  // A PUBLISH from the remote (a downstream route's subscription matched).
  virtual void on_remote_message(std::uint64_t generation, Message&& message) = 0;

 protected:
  ~LinkSink() = default;
};

// The I/O of a link that runs on its owner's thread instead of one of its own (NativeUplink,
// Threading::Owner): BridgeInbox::wait_and_take() runs the link's handlers while it waits for
// work, and a push into the inbox wakes it. A PUBLISH acknowledgement then reaches the bridge's
// logic on the thread that reads it, with no hand-off between threads.
class LinkDriver {
 public:
  // Owner thread: runs one ready handler, blocking until one is ready or `deadline` passes.
  virtual void run_one_until(std::chrono::steady_clock::time_point deadline) = 0;
  // Owner thread: runs handlers that are ready (a bounded number), without blocking.
  virtual void poll() = 0;
  // Any thread but the owner's while it runs a handler: makes a run_one_until() in progress (or
  // the next) return. (From a handler it does nothing: the run ends with the handler.)
  virtual void wake() = 0;

 protected:
  ~LinkDriver() = default;
};

}  // namespace gw::bridge
