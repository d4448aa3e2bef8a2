// bridge::BridgeOptions: what the uplink bridge needs to start, from the `bridge:` section of the
// configuration (config/ validates the ranges stated here; the bridge relies on them and never
// clamps). The store-and-forward contract these options tune is in DESIGN.md,
// "Store-and-forward".
//
// Ownership: plain value types. Thread safety: value types; read-only after Bridge::start().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/message.hpp"
#include "gateway/bridge/outbox_options.hpp"
#include "gateway/bridge/topic_mapping.hpp"

namespace gw::bridge {

// What happens to the Retain flag of a message sent upstream.
enum class RetainMode : std::uint8_t {
  Keep,   // as published locally (cleared anyway when the remote has no Retain Available)
  Clear,  // never retained upstream
};

// One local → cloud route. Every local message matching `local_filter` is stored in the outbox
// under `name` and sent with the topic `remote.apply(local topic)`, computed when it is SENT so
// that a changed route also applies to the backlog.
struct UpstreamRoute {
  // Unique among upstream routes; stored with each message (renaming a route strands its backlog
  // in the dead letters, reason "route ... is not configured"). 1..64 bytes.
  std::string name;
  // A local topic filter ("plant-1/#"); "$share/..." is not allowed.
  std::string local_filter;
  // Remote topic: prefix or "{topic}" template, see TopicMapping. Default: the local topic.
  TopicMapping remote;
  // QoS sent upstream; nullopt = the message's own QoS. Capped by the remote's Maximum QoS.
  std::optional<QoS> qos;
  RetainMode retain = RetainMode::Keep;
  // Higher is sent first (and dropped last on overflow). -1000..1000.
  int priority = 0;

  friend bool operator==(const UpstreamRoute&, const UpstreamRoute&) = default;
};

// One cloud → local route: the bridge subscribes to `remote_filter` upstream (No Local) and
// publishes what arrives locally with the topic `local.apply(remote topic)`.
struct DownstreamRoute {
  std::string name;           // for logs; 1..64 bytes
  std::string remote_filter;  // a topic filter on the remote broker
  TopicMapping local;         // default: the remote topic
  QoS qos = QoS::AtLeastOnce;  // of the remote subscription

  friend bool operator==(const DownstreamRoute&, const DownstreamRoute&) = default;
};

// TLS for mqtts:// servers (ignored for mqtt://), the same for both clients (ClientKind). SNI is
// the host of the server URI (Paho sends it for an IP address too, the native client does not).
struct TlsOptions {
  std::string ca_file;    // PEM trust store; empty = the system's default trust store
  std::string cert_file;  // client certificate (PEM); empty = no client certificate
  std::string key_file;   // its private key (PEM); empty = in cert_file
  std::string key_password;  // secret; never logged
  bool verify_peer = true;      // check the server certificate chain
  bool verify_hostname = true;  // check that the certificate names the host of the URI

  friend bool operator==(const TlsOptions&, const TlsOptions&) = default;
};

// 0 = no limit for each.
struct RateLimit {
  std::uint32_t messages_per_second = 0;  // 0..1000000
  std::uint64_t bytes_per_second = 0;     // 0..1 GiB/s (PUBLISH bytes on the wire)

  friend bool operator==(const RateLimit&, const RateLimit&) = default;
};

// Order in which the backlog and new messages go out after an outage.
enum class ReplayOrder : std::uint8_t {
  // Strictly by priority, then in append order: the backlog first, new messages after it.
  Fifo,
  // Messages that arrive while connected go before the backlog stored during an outage (within
  // the same route priority), so dashboards see live data at once and the backlog fills in.
  LiveFirst,
};

// Which MQTT client implementation carries the uplink (UplinkClient).
enum class ClientKind : std::uint8_t {
  Paho,    // Paho MQTT C (MQTTAsync): mqtt:// and mqtts://
  Native,  // NativeUplink: Asio and the project's codec, one I/O thread; mqtt:// and mqtts://
};

struct BridgeOptions {
  // Remote brokers, "mqtt://host:port" or "mqtts://host:port", tried in order on every (re)connect
  // attempt. At least one.
  std::vector<std::string> servers;
  // MQTT Client Identifier; must be stable for Session Expiry to resume the session. Empty = let
  // the server assign one (then kept for later reconnects of this Bridge). 0..23 bytes are
  // portable; longer ones are sent as they are.
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::string> password;  // secret; never logged
  TlsOptions tls;

  // MQTT Keep Alive. 0 s (off) or 5 s .. 65535 s. The server may override it (Server Keep Alive).
  std::chrono::seconds keep_alive{30};
  // MQTT 5 Session Expiry Interval, with Clean Start false: the remote keeps our subscriptions and
  // its QoS 1/2 state across short outages. 0 s .. 4294967295 s.
  std::chrono::seconds session_expiry{std::chrono::hours(1)};
  // Time for TCP + TLS + CONNACK. 1 s .. 5 min.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // What we announce in CONNECT: the largest packet we accept (bytes) and how many QoS 1/2
  // PUBLISHes the remote may have unacknowledged towards us. 1 KiB .. 256 MiB; 1..65535.
  std::uint32_t max_packet_size = 256 * 1024;
  std::uint16_t receive_maximum = 64;
  // Our own send window: PUBLISHes in flight upstream; the remote's Receive Maximum lowers it.
  // 1..65535.
  std::uint16_t max_inflight = 64;

  // Retained status topic: birth {"status":"online"} after each CONNACK, will and clean shutdown
  // {"status":"offline"} (QoS 1, retained). Empty = no status messages.
  std::string status_topic;

  // Reconnect backoff with full jitter: attempt n waits uniformly in [0, min(max, initial·2^n)].
  // 10 ms .. 10 min each, initial <= max.
  std::chrono::milliseconds reconnect_initial{500};
  std::chrono::milliseconds reconnect_max{std::chrono::seconds(60)};
  // Messages in flight but no acknowledgement for this long: the connection is recycled even if
  // the socket looks alive. 1 s .. 1 h.
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};

  RateLimit rate;
  ReplayOrder replay = ReplayOrder::Fifo;
  // Name of an MQTT 5 User Property carrying the message's outbox id, unique and increasing in
  // each route and the same on every retransmission, so the cloud can drop duplicates. Empty = off.
  std::string sequence_property;

  std::vector<UpstreamRoute> upstream;
  std::vector<DownstreamRoute> downstream;
  OutboxOptions outbox;

  // Local messages waiting for the bridge thread (core thread → bridge thread). When full, new
  // messages are dropped, counted (BridgeStats::dropped_queue_full) and logged. 16..10000000.
  // Network publishers feeding it are paused above half of it (broker back-pressure).
  std::size_t queue_capacity = 100000;
  // Downstream messages posted to the core thread and not yet published locally; beyond it they
  // are dropped and counted. 16..1000000.
  std::size_t downstream_capacity = 10000;
  // Bound of stop(): flush, offline status, DISCONNECT, join. 100 ms .. 60 s.
  std::chrono::milliseconds stop_timeout{std::chrono::seconds(5)};

  // Testing only; the configuration never sets it. Paho's own limits instead of those the Uplink
  // derives from max_inflight, so that a test can make Paho refuse sends for real (as it did when
  // its buffer was smaller than the window). 0 = derived.
  struct PahoLimits {
    int max_inflight = 0;  // Paho's in-flight window (MQTTAsync_connectOptions.maxInflight)
    int max_buffered = 0;  // PUBLISHes Paho holds unwritten (createOptions.maxBufferedMessages)

    friend bool operator==(const PahoLimits&, const PahoLimits&) = default;
  };
  PahoLimits paho_limits;

  // The MQTT client of the uplink. Both speak mqtt:// and mqtts:// with the same `tls` settings;
  // only the native one continues exchanges on a resumed session and uses topic aliases.
  ClientKind client = ClientKind::Native;

  friend bool operator==(const BridgeOptions&, const BridgeOptions&) = default;
};

}  // namespace gw::bridge
