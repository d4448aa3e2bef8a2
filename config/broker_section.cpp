#include "config/broker_section.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

#include "broker/net/tls_context.hpp"
#include "config/endpoint.hpp"

namespace gw::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The position of listeners[i].<key> for cross-field messages.
YAML::Mark listener_mark(const YAML::Node& broker, std::size_t i, std::string_view key) {
  const YAML::Node list = detail::find_value(broker, "listeners");
  if (!list.IsSequence() || i >= list.size()) return YAML::Mark::null_mark();
  const YAML::Node v = detail::find_value(list[i], key);
  return v.IsDefined() ? v.Mark() : list[i].Mark();
}

bool is_wildcard(const std::string& address) { return address == "0.0.0.0" || address == "::"; }

// A listener that takes user names from client certificates: its clients are verified users
// even without a password file.
bool names_users(const broker::ListenerOptions& l) {
  return l.tls && l.tls->identity_as_username != broker::ListenerTlsOptions::Identity::None;
}

// An earlier listener on the same port that covers listeners[i]'s address, or covered by it: a
// wildcard address of the same family (the broker binds IPv6 sockets v6-only, so 0.0.0.0 and
// :: do not overlap).
std::optional<std::size_t> overlapping(const std::vector<broker::ListenerOptions>& ls, std::size_t i) {
  const auto v6 = [](const std::string& a) { return a.find(':') != std::string::npos; };
  for (std::size_t j = 0; j < i; ++j) {
    if (ls[j].port != ls[i].port || v6(ls[j].address) != v6(ls[i].address)) continue;
    if (is_wildcard(ls[j].address) || is_wildcard(ls[i].address)) return j;
  }
  return std::nullopt;
}

void check_broker(const broker::BrokerOptions& o, const YAML::Node& node, const Cursor& at) {
  std::map<std::pair<std::string, std::uint16_t>, std::size_t> binds;
  std::map<std::string, std::size_t> names;
  for (std::size_t i = 0; i < o.listeners.size(); ++i) {
    const auto& l = o.listeners[i];
    const Cursor li = at.key("listeners", YAML::Mark::null_mark()).index(i, YAML::Mark::null_mark());
    const std::string bind = format_endpoint({l.address, l.port});
    // Port 0 asks the kernel for a fresh port each time, so it never collides.
    if (l.port != 0) {
      if (auto [it, fresh] = binds.emplace(std::pair{l.address, l.port}, i); !fresh) {
        li.key("bind", {}).error(listener_mark(node, i, "bind"),
                                 bind + " is already used by broker.listeners[" +
                                     std::to_string(it->second) + "]");
      } else if (auto other = overlapping(o.listeners, i)) {
        // The kernel refuses the second bind (EADDRINUSE) once the wildcard socket listens.
        const auto& w = o.listeners[*other];
        const std::string& wildcard = is_wildcard(w.address) ? w.address : l.address;
        li.key("bind", {}).error(
            listener_mark(node, i, "bind"),
            bind + " overlaps " + format_endpoint({w.address, w.port}) + " (broker.listeners[" +
                std::to_string(*other) + "]): " + (wildcard == "::" ? "[::]" : wildcard) +
                " covers every " + (wildcard == "::" ? "IPv6" : "IPv4") + " address on port " +
                std::to_string(l.port));
      }
    }
    if (!l.name.empty()) {
      if (auto [it, fresh] = names.emplace(l.name, i); !fresh) {
        li.key("name", {}).error(listener_mark(node, i, "name"),
                                 "'" + l.name + "' is already the name of broker.listeners[" +
                                     std::to_string(it->second) + "]");
      }
    }
    if (o.allow_anonymous.value_or(false) && !is_loopback(l.address)) {
      li.key("bind", {}).warning(listener_mark(node, i, "bind"),
                                 bind + " accepts anonymous clients from the network "
                                        "(allow_anonymous is true)");
    } else if (!o.allow_anonymous && o.password_file.empty() && !is_loopback(l.address) &&
               !names_users(l)) {
      li.key("bind", {}).warning(
          listener_mark(node, i, "bind"),
          bind + " accepts no client from the network: without a password_file every client is "
                 "anonymous, and anonymous clients may connect from this machine only (set "
                 "password_file, or allow_anonymous: true)");
    }
  }
  // One message of the largest allowed size must fit in a session's queue.
  if (o.max_queued_bytes < o.max_packet_size) {
    const YAML::Node v = detail::find_value(node, "max_queued_bytes");
    const YAML::Node p = detail::find_value(node, "max_packet_size");
    at.key("max_queued_bytes", {}).error(
        v.IsDefined() ? v.Mark() : p.Mark(),
        format_size(o.max_queued_bytes) + " is smaller than max_packet_size (" +
            format_size(o.max_packet_size) + "); one message of the largest size must fit");
  }
}

// `allow:` / `deny:` of an ACL rule: one access word or a list of them.
struct AccessSet {
  using value_type = std::uint8_t;
  std::optional<std::uint8_t> parse(const YAML::Node& node, const Cursor& at) const {
    using broker::auth::Access;
    const auto word = [&](const YAML::Node& n) -> std::optional<std::uint8_t> {
      if (!n.IsScalar()) {
        at.error(n.Mark(), "expected publish, subscribe or receive, got " + describe_node(n));
        return std::nullopt;
      }
      const std::string& w = n.Scalar();
      if (w == "publish") return static_cast<std::uint8_t>(Access::Publish);
      if (w == "subscribe") return static_cast<std::uint8_t>(Access::Subscribe);
      if (w == "receive") return static_cast<std::uint8_t>(Access::Receive);
      at.error(n.Mark(), "expected publish, subscribe or receive, got '" + w + "'");
      return std::nullopt;
    };
    if (!node.IsSequence()) return word(node);
    if (node.size() == 0) {
      at.error(node.Mark(), "the list is empty; name at least one of publish, subscribe, receive");
      return std::nullopt;
    }
    std::uint8_t bits = 0;
    bool ok = true;
    for (const auto& item : node) {
      if (auto b = word(item)) {
        bits = static_cast<std::uint8_t>(bits | *b);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return bits;
  }
  [[nodiscard]] std::string type() const { return "access list"; }
  [[nodiscard]] std::string range() const { return "publish, subscribe, receive"; }
  [[nodiscard]] std::string show(std::uint8_t) const { return "none"; }
  [[nodiscard]] JsonSpec json() const {
    JsonSpec words{.type = JsonSpec::Type::String, .choices = {"publish", "subscribe", "receive"}};
    return {.type = JsonSpec::Type::Array, .min_length = 1, .item = {words}};
  }
  [[nodiscard]] std::string json_value(std::uint8_t) const { return ""; }
};

// Each ACL rule has exactly one of allow / deny.
void check_acl(const broker::BrokerOptions& o, const YAML::Node& node, const Cursor& at) {
  const YAML::Node list = detail::find_value(node, "acl");
  for (std::size_t i = 0; i < o.acl.size(); ++i) {
    const YAML::Node item = list.IsSequence() && i < list.size() ? list[i] : YAML::Node();
    const bool allow = detail::find_value(item, "allow").IsDefined();
    const bool deny = detail::find_value(item, "deny").IsDefined();
    if (o.acl[i].user && o.password_file.empty() &&
        std::none_of(o.listeners.begin(), o.listeners.end(), names_users)) {
      const YAML::Node user = detail::find_value(item, "user");
      at.key("acl", {}).index(i, {}).key("user", {}).warning(
          user.IsDefined() ? user.Mark() : YAML::Mark::null_mark(),
          "there is no password_file, so no client has a verified user name and this rule "
          "never applies");
    }
    if (allow == deny) {
      at.key("acl", {}).index(i, {}).error(
          item.IsDefined() ? item.Mark() : YAML::Mark::null_mark(),
          allow ? "a rule either allows or denies: give allow or deny, not both"
                : "a rule needs allow: or deny: (publish, subscribe, receive)");
    }
  }
}

// A listener's tls: section. The files are loaded here, exactly as the broker will load them, so
// that check-config finds an unreadable file, a key that does not belong to its certificate or a
// CA file without a certificate before a start or a reload does.
void check_listener_tls(const broker::ListenerTlsOptions& t, const YAML::Node& node,
                        const Cursor& at) {
  using Identity = broker::ListenerTlsOptions::Identity;
  bool ok = true;
  if (t.require_client_certificate && t.ca_file.empty()) {
    at.key("require_client_certificate", {})
        .error(detail::value_mark(node, "require_client_certificate"),
               "needs ca_file, the CA certificates client certificates must be signed by");
    ok = false;
  }
  if (t.identity_as_username != Identity::None && t.ca_file.empty()) {
    at.key("identity_as_username", {})
        .error(detail::value_mark(node, "identity_as_username"),
               "needs ca_file: only a certificate signed by a trusted CA can name a user");
    ok = false;
  }
  if (!ok) return;
  broker::net::TlsProblem problem;
  if (!broker::net::TlsContext::build(t, &problem)) {
    at.key(problem.key, {}).error(detail::value_mark(node, problem.key), problem.message);
  }
}

}  // namespace

namespace {

// MQTT over WebSocket on a listener: only the path is configurable.
const Schema<broker::WebSocketOptions>& websocket_schema() {
  using W = broker::WebSocketOptions;
  static const Schema<W> schema{
      "websocket",
      {
          field("path", &W::path, Text{1, 1024},
                "Request path that upgrades to MQTT over WebSocket (subprotocol mqtt); other "
                "paths get 404."),
      },
      [](const W& w, const YAML::Node& node, const Cursor& at) {
        // An origin-form path (RFC 7230 §5.3.1) without a query: what a client puts in its
        // request line, compared byte for byte.
        const bool printable = std::all_of(w.path.begin(), w.path.end(), [](char c) {
          return c > ' ' && c < 0x7F && c != '?' && c != '#';
        });
        if (w.path.front() != '/' || !printable) {
          at.key("path", {}).error(detail::find_value(node, "path").Mark(),
                                   "'" + w.path + "' is not a URL path: it starts with / and has "
                                   "no spaces, ? or #");
        }
      }};
  return schema;
}

}  // namespace

const Schema<broker::ListenerTlsOptions>& listener_tls_schema() {
  using T = broker::ListenerTlsOptions;
  static const Schema<T> schema{
      "tls",
      {
          field("cert_file", &T::cert_file, Text{1, 4096},
                "Server certificate (PEM), followed by any intermediate CA certificates; re-read "
                "on SIGHUP.",
                Need::Required),
          field("key_file", &T::key_file, Text{0, 4096},
                "Private key of cert_file (PEM); empty = in cert_file. Re-read on SIGHUP."),
          secret("key_password", &T::key_password, "Password of an encrypted key_file."),
          field("ca_file", &T::ca_file, Text{0, 4096},
                "CA certificates (PEM) that client certificates must be signed by; empty = clients "
                "are not asked for a certificate. Re-read on SIGHUP."),
          field("require_client_certificate", &T::require_client_certificate, Bool{},
                "Refuse clients without a certificate signed by ca_file (mutual TLS)."),
          field("identity_as_username", &T::identity_as_username,
                Enum<T::Identity>{{{"none", T::Identity::None},
                                   {"cn", T::Identity::CommonName},
                                   {"san_dns", T::Identity::SanDns},
                                   {"san_email", T::Identity::SanEmail}}},
                "Take the MQTT user name from the client certificate (subject CN, or the first "
                "DNS name or e-mail address in its subjectAltName): the certificate is the "
                "credential, no password is checked; a user name in CONNECT must be the same."),
          field("min_version", &T::min_version,
                Enum<T::Version>{{{"1.2", T::Version::Tls12}, {"1.3", T::Version::Tls13}}},
                "Oldest TLS version accepted."),
          field("ciphers", &T::ciphers, Text{0, 4096},
                "OpenSSL cipher list for TLS 1.2 (e.g. ECDHE+AESGCM); empty = OpenSSL's "
                "default. TLS 1.3 suites are OpenSSL's."),
      },
      check_listener_tls};
  return schema;
}

const Schema<broker::ListenerOptions>& listener_schema() {
  using L = broker::ListenerOptions;
  static const Schema<L> schema{
      "listener",
      {
          field<L>(
              "bind", EndpointKind{},
              [](L& l, Endpoint&& e) {
                l.address = std::move(e.host);
                l.port = e.port;
              },
              [](const L& l) { return Endpoint{l.address, l.port}; },
              "Address and TCP port to listen on: 127.0.0.1:1883, [::1]:1883, 0.0.0.0:1883 (all "
              "IPv4 interfaces). Port 0 picks a free port (tests).",
              Need::Required),
          field("name", &L::name, Identifier{64},
                "Names the listener in logs; defaults to its address:port."),
          field<L>(
              "websocket", Section<broker::WebSocketOptions>{&websocket_schema()},
              [](L& l, broker::WebSocketOptions&& w) { l.websocket = std::move(w); },
              [](const L& l) { return l.websocket.value_or(broker::WebSocketOptions{}); },
              "MQTT over WebSocket instead of plain MQTT on this listener: `websocket: {}` for "
              "the default path /mqtt, or `websocket: {path: /dash/mqtt}`."),
          field("max_connections", &L::max_connections,
                Optional<Integer<std::uint32_t>>{{1, 1'000'000}, "only broker.max_connections"},
                "Concurrent client connections through this listener; further TCP connections "
                "are refused. Unset: only broker.max_connections applies."),
          field<L>(
              "tls", Section<broker::ListenerTlsOptions>{&listener_tls_schema()},
              [](L& l, broker::ListenerTlsOptions&& t) { l.tls = std::move(t); },
              [](const L& l) { return l.tls.value_or(broker::ListenerTlsOptions{}); },
              "Serve MQTT over TLS on this listener (conventionally port 8883)."),
      }};
  return schema;
}

const Schema<broker::auth::AclRule>& acl_rule_schema() {
  using R = broker::auth::AclRule;
  static const Schema<R> schema{
      "acl rule",
      {
          field("user", &R::user, Optional<Text>{Text{1, 65535}, "any"},
                "The rule applies to this (password-verified) user only; any client when absent."),
          field("client_id", &R::client_id, Optional<Text>{Text{1, 65535}, "any"},
                "The rule applies to this client id only; any client when absent."),
          field("topic", &R::topic, TopicFilterText{},
                "Topic filter (+, #); a level %u is the user name, %c the client id.",
                Need::Required),
          field<R>(
              "allow", AccessSet{},
              [](R& r, std::uint8_t&& bits) {
                r.access = bits;
                r.deny = false;
              },
              [](const R& r) { return r.deny ? std::uint8_t{0} : r.access; },
              "What the rule allows: publish, subscribe, receive (one word or a list)."),
          field<R>(
              "deny", AccessSet{},
              [](R& r, std::uint8_t&& bits) {
                r.access = bits;
                r.deny = true;
              },
              [](const R& r) { return r.deny ? r.access : std::uint8_t{0}; },
              "What the rule denies: publish, subscribe, receive (one word or a list)."),
      }};
  return schema;
}

const Schema<broker::BrokerOptions::Redirect>& redirect_schema() {
  using R = broker::BrokerOptions::Redirect;
  static const Schema<R> schema{
      "redirect",
      {
          field("server", &R::server_reference, Text{1, 255},
                "Server Reference sent to MQTT 5 clients, e.g. 10.0.0.7:1883.", Need::Required),
          field("permanent", &R::permanent, Bool{},
                "true: CONNACK 0x9D (Server moved); false: 0x9C (Use another server)."),
      }};
  return schema;
}

// broker.persistence: kept sessions and retained messages in SQLite (docs/operations.md).
const Schema<broker::PersistenceOptions>& persistence_schema() {
  using P = broker::PersistenceOptions;
  static const Schema<P> schema{
      "persistence",
      {
          field("enabled", &P::enabled, Bool{},
                "Keep sessions and retained messages across restarts."),
          [] {
            auto f = field("path", &P::path, Text{1, 4096},
                           "The SQLite file; its directory must exist and be writable.");
            // The reference shows where it goes by default (complete_broker).
            f.show = [](const P&) { return std::string("<gateway.data_dir>/broker.db"); };
            return f;
          }(),
          field("synchronous", &P::synchronous_full,
                Enum<bool>{{{"normal", false}, {"full", true}}},
                "normal: the WAL is synced at checkpoints; full: every commit is synced."),
          field("commit_window", &P::commit_window,
                Duration<milliseconds>{milliseconds(100), seconds(60)},
                "Changes are written in one transaction per window: what a crash may lose."),
      }};
  return schema;
}

void complete_broker(broker::BrokerOptions& options, const gateway::GatewayOptions& gateway) {
  std::string dir = gateway.data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir == "/") dir.clear();
  if (options.persistence.path.empty()) options.persistence.path = dir + "/broker.db";
  if (options.scram_salt_key_file.empty()) options.scram_salt_key_file = dir + "/scram-salt.key";
}

const Schema<broker::BrokerOptions>& broker_schema() {
  using B = broker::BrokerOptions;
  static const Schema<B> schema{
      "broker",
      {
          field("listeners", &B::listeners,
                List<broker::ListenerOptions>{&listener_schema(), 1, 16,
                                              "one listener on 127.0.0.1:1883"},
                "Where MQTT clients connect. A given list replaces the default."),
          field("max_packet_size", &B::max_packet_size,
                Size<std::uint32_t>{1024, 256 * 1024 * 1024},
                "Largest MQTT packet accepted (MQTT 5 Maximum Packet Size, announced in CONNACK)."),
          field("receive_maximum", &B::receive_maximum, Integer<std::uint16_t>{1, 65535},
                "QoS 1/2 messages a client may have unacknowledged towards the broker."),
          field("max_keep_alive", &B::max_keep_alive, Duration<seconds>{seconds(0), seconds(65535)},
                "Upper bound on a client's keep alive (MQTT 5 Server Keep Alive); 0s = no limit."),
          field("max_session_expiry", &B::max_session_expiry,
                Duration<seconds>{seconds(0), seconds(4294967295LL)},
                "Upper bound on a client's session expiry interval."),
          field("connect_timeout", &B::connect_timeout,
                Duration<milliseconds>{milliseconds(100), std::chrono::minutes(5)},
                "Time a new connection has to send CONNECT."),
          field("max_connections", &B::max_connections, Integer<std::uint32_t>{1, 1'000'000},
                "Concurrent client connections over all listeners."),
          field("maximum_qos", &B::maximum_qos, QosLevel{},
                "Highest QoS the broker grants (MQTT 5 Maximum QoS)."),
          field("retain_available", &B::retain_available, Bool{},
                "Retained messages are stored and delivered."),
          field("wildcard_subscriptions", &B::wildcard_subscriptions, Bool{},
                "Topic filters may contain + and #."),
          field("shared_subscriptions", &B::shared_subscriptions, Bool{},
                "$share/<group>/<filter> subscriptions are supported."),
          field("subscription_identifiers", &B::subscription_identifiers, Bool{},
                "MQTT 5 Subscription Identifiers are supported."),
          field("topic_alias_maximum", &B::topic_alias_maximum, Integer<std::uint16_t>{0, 65535},
                "Topic aliases a client may use towards the broker; 0 = none."),
          field("max_queued_messages", &B::max_queued_messages, Integer<std::uint32_t>{1, 10'000'000},
                "Messages queued per session for an offline or slow client; the oldest is dropped "
                "(and counted) beyond it."),
          field("max_queued_bytes", &B::max_queued_bytes,
                // 4 GiB - 1 everywhere: the largest size_t of 32-bit targets (armhf), so the
                // published schema is the same on every architecture.
                Size<std::size_t>{1024, std::size_t{0xFFFF'FFFF}},
                "Bytes queued per session; at least max_packet_size."),
          field("max_inflight", &B::max_inflight, Integer<std::uint32_t>{1, 65535},
                "QoS 1/2 messages sent to a client before waiting for acknowledgements."),
          field("password_file", &B::password_file, Text{0, 4096},
                "Users and password hashes, one `user:hash` per line in Mosquitto's format "
                "(`edge-gateway passwd FILE USER` writes it); re-read on SIGHUP. Empty = no "
                "users."),
          field("allow_anonymous", &B::allow_anonymous, Optional<Bool>{{}, "from this machine only"},
                "Clients without a verified user name (no user name, or no password_file): "
                "true = from anywhere, false = never; unset = only from loopback addresses."),
          field("response_information", &B::response_information, Text{0, 1024},
                "MQTT 5 Response Information returned to clients that request it, e.g. a topic "
                "prefix for replies; empty = none."),
          field("acl", &B::acl, List<broker::auth::AclRule>{&acl_rule_schema(), 0, 4096, "none"},
                "Who may publish, subscribe and receive what: rules tried in order, the first "
                "match decides, no match denies; none = everything allowed."),
          field("max_connect_rate", &B::max_connect_rate, Integer<std::uint32_t>{0, 100'000},
                "New connections per second from one source address (loopback included); beyond "
                "it (and the burst) CONNECT is refused with 0x9F (MQTT 3.1.1: 3). 0 = no limit."),
          field("max_connect_burst", &B::max_connect_burst, Integer<std::uint32_t>{1, 100'000},
                "Connections one source address may open at once before max_connect_rate "
                "applies."),
          field("max_subscriptions_per_client", &B::max_subscriptions_per_client,
                Integer<std::uint32_t>{1, 1'000'000},
                "Subscriptions one session may hold; further filters are refused with SUBACK "
                "0x97 (MQTT 3.1.1: 0x80)."),
          field("max_topic_length", &B::max_topic_length, Integer<std::uint32_t>{1, 65535},
                "Longest topic name (PUBLISH, will) or filter, in bytes."),
          field("max_topic_levels", &B::max_topic_levels, Integer<std::uint32_t>{1, 65535},
                "Most '/'-separated levels in a topic name or filter."),
          field<B>(
              "redirect", Section<broker::BrokerOptions::Redirect>{&redirect_schema()},
              [](B& b, broker::BrokerOptions::Redirect&& r) { b.redirect = std::move(r); },
              [](const B& b) { return b.redirect.value_or(broker::BrokerOptions::Redirect{}); },
              "Refuse every client and send it to another server (MQTT 5 server redirection); "
              "MQTT 3.1.1 clients get 'server unavailable'."),
          field("sys_interval", &B::sys_interval, Duration<seconds>{seconds(0), seconds(86400)},
                "How often the broker's statistics are published under $SYS/ (only the values "
                "that changed); 0s = never."),
          field("persistence", &B::persistence,
                Section<broker::PersistenceOptions>{&persistence_schema()},
                "Kept sessions and retained messages survive a restart (SQLite, written behind)."),
          field("max_backpressure_wait", &B::max_backpressure_wait,
                Duration<milliseconds>{milliseconds(0), seconds(60)},
                "A network publisher is not read while a subscriber it sends to is more than "
                "half full (max_queued_bytes, max_queued_messages); a subscriber that writes "
                "nothing for this long is stuck and no longer holds publishers back. 0s = no "
                "back-pressure: the overflow is dropped at once."),
      },
      [](const broker::BrokerOptions& o, const YAML::Node& node, const Cursor& at) {
        check_broker(o, node, at);
        check_acl(o, node, at);
      }};
  return schema;
}

}  // namespace gw::config
