// broker::BrokerOptions: what the local MQTT broker needs to start, from the `broker:` section of
// the configuration file (parsed and validated by config/; every key, range and the reason for
// each default are in docs/configuration.md).
//
// config/ has already rejected out-of-range values, so the broker may rely on the ranges stated
// here; it never needs to clamp. Limits bound memory per client: a gateway runs on a small box,
// so every queue has a finite default.
//
// Ownership: plain value types. Thread safety: value types; read-only after start-up.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/auth/acl.hpp"
#include "core/message.hpp"

namespace gw::broker {

// MQTT over WebSocket on a listener (RFC 6455; MQTT 5 §6): browser dashboards connect to
// ws://host:port<path> with the subprotocol "mqtt". config/ checks the path's form.
struct WebSocketOptions {
  std::string path = "/mqtt";  // the request path that upgrades; others get 404
  friend bool operator==(const WebSocketOptions&, const WebSocketOptions&) = default;
};

// TLS on one listener (MQTT over TLS, conventionally port 8883). config/ has already checked
// that the files load and that the key belongs to the certificate; the broker re-reads them
// when it opens the listener and on SIGHUP (net::TlsContext).
struct ListenerTlsOptions {
  std::string cert_file;     // PEM: the server certificate, then any intermediates
  std::string key_file;      // PEM private key of cert_file; empty = in cert_file
  std::string key_password;  // of an encrypted key_file; empty = not encrypted
  // PEM CA certificates that client certificates must chain to; empty = no client certificate
  // is asked for.
  std::string ca_file;
  // Refuse the handshake of a client without a certificate signed by ca_file (mutual TLS).
  bool require_client_certificate = false;
  // Which part of a verified client certificate becomes the MQTT user name: the certificate is
  // then the credential, no password is checked (broker.cpp, on_connect).
  enum class Identity : std::uint8_t { None, CommonName, SanDns, SanEmail };
  Identity identity_as_username = Identity::None;
  enum class Version : std::uint8_t { Tls12, Tls13 };
  Version min_version = Version::Tls12;  // TLS 1.0 and 1.1 are never offered
  std::string ciphers;  // OpenSSL cipher list for TLS 1.2; empty = OpenSSL's default
  friend bool operator==(const ListenerTlsOptions&, const ListenerTlsOptions&) = default;
};

struct ListenerOptions {
  // An IPv4 or IPv6 literal without brackets ("127.0.0.1", "::1", "0.0.0.0", "::"), ready for
  // asio::ip::make_address. Host names are rejected by config/.
  std::string address = "127.0.0.1";
  std::uint16_t port = 1883;  // 0 = ephemeral (tests)
  std::string name;           // for logs; empty = "<address>:<port>"

  // Set: clients speak MQTT over WebSocket on this listener instead of plain MQTT.
  std::optional<WebSocketOptions> websocket;
  // Concurrent client connections through this listener; nullopt = only the broker-wide
  // BrokerOptions::max_connections applies. 1..1000000.
  std::optional<std::uint32_t> max_connections;

  // Present: the listener speaks TLS.
  std::optional<ListenerTlsOptions> tls;
  friend bool operator==(const ListenerOptions&, const ListenerOptions&) = default;
};

// Broker state that survives a restart (broker/persistence/, docs/operations.md): kept sessions
// and retained messages, written behind to a SQLite file by the gateway.
struct PersistenceOptions {
  bool enabled = false;
  // The SQLite file; config/ fills in <gateway.data_dir>/broker.db when not given.
  std::string path;
  // Changes are written in one transaction per window: what a crash may lose. 100 ms .. 60 s
  // (the broker checks on its 100 ms tick).
  std::chrono::milliseconds commit_window{1000};
  // false: PRAGMA synchronous = NORMAL; true: FULL (every commit is fsynced).
  bool synchronous_full = false;
  friend bool operator==(const PersistenceOptions&, const PersistenceOptions&) = default;
};

struct BrokerOptions {
  // At least one listener; the default is a single loopback listener on 127.0.0.1:1883.
  std::vector<ListenerOptions> listeners{ListenerOptions{}};

  // MQTT 5 Maximum Packet Size we announce in CONNACK and enforce on every incoming packet
  // (bytes, fixed header included). 1 KiB .. 256 MiB.
  std::uint32_t max_packet_size = 256 * 1024;
  // MQTT 5 Receive Maximum announced in CONNACK: QoS 1/2 PUBLISHes a client may have unacknowledged
  // towards us. 1..65535.
  std::uint16_t receive_maximum = 64;
  // Upper bound for a client's Keep Alive; a larger (or zero) request is overridden with MQTT 5
  // Server Keep Alive. 0 = no limit (honour the client). 0..65535 s.
  std::chrono::seconds max_keep_alive{0};
  // Upper bound for a client's Session Expiry Interval; longer requests are lowered and the
  // value announced in CONNACK. 0..4294967295 s.
  std::chrono::seconds max_session_expiry{std::chrono::hours(24)};
  // Time a new connection has to send CONNECT before it is closed. 100 ms .. 5 min.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Concurrent client connections over all listeners; further TCP connections are refused.
  std::uint32_t max_connections = 1024;

  QoS maximum_qos = QoS::ExactlyOnce;
  bool retain_available = true;
  bool wildcard_subscriptions = true;
  bool shared_subscriptions = true;
  bool subscription_identifiers = true;
  // MQTT 5 Topic Alias Maximum announced in CONNACK; 0 = clients may not use topic aliases.
  std::uint16_t topic_alias_maximum = 10;

  // Per session: messages waiting for an offline or slow client (QoS 1/2, plus QoS 0 while
  // connected). When either limit is reached the oldest message is dropped and counted.
  std::uint32_t max_queued_messages = 1000;
  std::size_t max_queued_bytes = 8 * 1024 * 1024;  // >= max_packet_size
  // Per client: QoS 1/2 PUBLISHes we send before waiting for acknowledgements (the client's own
  // Receive Maximum lowers it further). 1..65535.
  std::uint32_t max_inflight = 64;

  // MQTT 5 Response Information (§3.1.2.11.6) returned in CONNACK to clients that set Request
  // Response Information, e.g. a topic prefix for request/response; empty = none is returned.
  std::string response_information;

  // Send every client elsewhere (MQTT 5 §4.11): CONNACK 0x9C "use another server" (temporary)
  // or 0x9D "server moved" (permanent) with Server Reference; MQTT 3.1.1 clients, who cannot be
  // told where, get return code 3 "server unavailable".
  struct Redirect {
    std::string server_reference;  // e.g. "10.0.0.7:1883"
    bool permanent = false;
    friend bool operator==(const Redirect&, const Redirect&) = default;
  };
  std::optional<Redirect> redirect;

  // Users and their password hashes (broker/auth/password_file.hpp; Mosquitto's format); empty =
  // no users: every client is anonymous. Re-read on SIGHUP.
  std::string password_file;
  // The key of the fake SCRAM salts offered to unknown user names, kept so that they stay the
  // same across restarts (broker/auth/salt_key.hpp); config/ fills in
  // <gateway.data_dir>/scram-salt.key. Empty: a key per process.
  std::string scram_salt_key_file;
  // Anonymous clients: those without a user name, and any client while there is no password file
  // (a name nobody verifies identifies no one). nullopt (the default): allowed only from this
  // machine (loopback peers), refused from the network; true: allowed from anywhere; false: never.
  // config/ warns when true is combined with a listener on a non-loopback address.
  std::optional<bool> allow_anonymous;
  // Who may publish, subscribe and receive what (broker/auth/acl.hpp): first matching rule
  // decides, no match denies. Empty = everything allowed.
  std::vector<auth::AclRule> acl;

  // Statistics under $SYS/broker/... (docs/operations.md), published retained by the gateway this
  // often, only the values that changed; 0 = not published. 0..86400 s.
  std::chrono::seconds sys_interval{10};
  // Kept sessions and retained messages in SQLite; off by default.
  PersistenceOptions persistence;
  // --- Limits against misbehaving or hostile clients (docs/configuration.md, "Limits"). Each
  // hit is counted in BrokerStats::limit_hits and logged at most once a minute per kind.
  // New connections per second from one source address (a token bucket that holds
  // max_connect_burst); beyond it the CONNECT is refused (MQTT 5 CONNACK 0x9F, 3.1.1 0x03).
  // 0 = no limit. 0..100000.
  std::uint32_t max_connect_rate = 20;
  std::uint32_t max_connect_burst = 40;  // 1..100000
  // Subscriptions one session may hold; a SUBSCRIBE beyond it is refused for the new filters
  // only (MQTT 5 SUBACK 0x97, 3.1.1 0x80). 1..1000000.
  std::uint32_t max_subscriptions_per_client = 1000;
  // Topic names (PUBLISH, will) and filters: bytes and levels ('/'-separated). 1..65535 each.
  std::uint32_t max_topic_length = 1024;
  std::uint32_t max_topic_levels = 32;

  // --- Back-pressure (broker/backpressure.hpp, docs/configuration.md). A network publisher whose
  // message takes a connected subscriber's backlog past half of max_queued_bytes (or of
  // max_queued_messages) is no longer read until that backlog falls to a quarter; a subscriber
  // that makes no write progress for this long is stuck: its publishers are read again and its
  // overflow is dropped and counted. 0 = no back-pressure (overflow is dropped at once).
  // 0..60 s.
  std::chrono::milliseconds max_backpressure_wait{std::chrono::seconds(1)};

  friend bool operator==(const BrokerOptions&, const BrokerOptions&) = default;
};

}  // namespace gw::broker
