#include "broker/broker.hpp"

#include <algorithm>
#include <bit>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "broker/auth/salt_key.hpp"
#include "broker/protocol/topic_name.hpp"
#include "broker/sys_topic.hpp"
#include "core/check.hpp"
#include "core/log.hpp"

namespace gw::broker {

using namespace protocol;

namespace {

std::uint32_t to_u32_seconds(std::chrono::seconds s) {
  return static_cast<std::uint32_t>(std::min<std::int64_t>(s.count(), 0xFFFF'FFFF));
}

SubackReason granted(QoS qos) {
  switch (qos) {
    case QoS::AtMostOnce: return SubackReason::GrantedQoS0;
    case QoS::AtLeastOnce: return SubackReason::GrantedQoS1;
    case QoS::ExactlyOnce: return SubackReason::GrantedQoS2;
  }
  return SubackReason::UnspecifiedError;
}

// Rate limit for repeating warnings: log the 1st, 2nd, 4th, 8th... occurrence.
bool worth_logging(std::uint64_t count) { return std::has_single_bit(count); }

// Whether copies of a message that arrived in `size` bytes may be larger than any packet can be:
// a copy may carry its whole topic (two bytes of length and at most 65,535) where the PUBLISH had
// an alias, a Topic Alias of the subscriber's own (3 bytes), one Subscription Identifier (at
// most 5 bytes) per subscription of the subscriber, and longer length fields (at most 6 bytes).
bool may_outgrow_packets(std::uint64_t size, std::uint64_t subscriptions) {
  return size + 2 + 65'535 + 3 + 5 * subscriptions + 6 > kMaxPacketSize;
}

}  // namespace

Broker::Broker(asio::io_context& io, BrokerOptions options, core::Clock& clock)
    : io_(io),
      options_(std::move(options)),
      clock_(clock),
      log_(core::make_logger("broker")),
      acl_(options_.acl),
      tick_timer_(io),
      rng_(std::random_device{}()),
      connect_rate_(options_.max_connect_rate, options_.max_connect_burst) {
  subscription_bound_ = options_.max_subscriptions_per_client;
  note_size(options_.max_packet_size);  // any client's PUBLISH
  // Shared subscriptions prefer members that are connected (in-process ones are always ready),
  // then offline ones whose session queues, and never pick a member the ACL denies while another
  // may receive the message.
  tree_.set_member_rank([this](SubscriberId id, std::string_view topic) {
    using Rank = TopicTree::MemberRank;
    if (local_.contains(id)) return Rank::Ready;
    const Session* session = by_subscriber_.find(id);
    if (session == nullptr) return Rank::None;
    if (!acl_.empty() && !acl_.allows(principal(*session), auth::Access::Receive, topic)) {
      return Rank::None;
    }
    return session->client != nullptr ? Rank::Ready : Rank::Later;
  });
  start_ticking();
}

Broker::~Broker() {
  // Connections that outlive the broker during shutdown must not reach back into it: end them
  // now, while the broker can still take their on_closed().
  const std::vector<Client*> clients(clients_.all().begin(), clients_.all().end());
  for (Client* c : clients) c->abort();
}

void Broker::shutdown() {
  tick_timer_.cancel();
  const std::vector<Client*> clients(clients_.all().begin(), clients_.all().end());
  // MQTT 5 §3.14.2.1: tell MQTT 5 clients why (0x8B); MQTT 3.1.1 clients just see the close.
  for (Client* c : clients) c->disconnect(DisconnectReason::ServerShuttingDown);
  flush_persistence();
}

void Broker::on_client_gone(Client& client) {
  clients_.remove(client);
  if (client.auth_ticket() != 0) authenticating_.erase(client.auth_ticket());
  --stats_.connections_current;
  if (ListenerSlot* slot = client.listener()) --slot->current;
}

std::unique_ptr<net::StreamHandler> Broker::accept(net::Transport& transport,
                                                   std::shared_ptr<ListenerSlot> listener) {
  if (stats_.connections_current >= options_.max_connections) {
    ++stats_.connections_refused;
    limit_hit(LimitKind::Connections, "refusing connection from {}: max_connections {} reached",
              transport.peer(), options_.max_connections);
    return nullptr;
  }
  if (listener && listener->max_connections && listener->current >= *listener->max_connections) {
    ++stats_.connections_refused;
    limit_hit(LimitKind::ListenerConnections,
              "refusing connection from {}: max_connections {} of listener {} reached",
              transport.peer(), *listener->max_connections, listener->name);
    return nullptr;
  }
  // Over the rate, the connection is still accepted: its CONNECT is answered with a CONNACK that
  // says why (MQTT 5 0x9F), which a client can act on, where a bare close looks like a network
  // fault to retry at once. The token is taken here: the connection is what costs.
  const bool over_rate =
      connect_rate_.enabled() && !connect_rate_.admit(transport.peer_address(), clock_.steady());
  ++stats_.connections_total;
  ++stats_.connections_current;
  stats_.connections_maximum = std::max(stats_.connections_maximum, stats_.connections_current);
  auto client = std::make_unique<Client>(*this, transport);
  if (listener) {
    ++listener->current;
    client->set_listener(std::move(listener));
  }
  if (over_rate) client->set_over_connect_rate();
  clients_.add(*client);
  return client;
}

void Broker::on_websocket_failure(bool handshake, const std::string& peer, std::string_view why) {
  const std::uint64_t n = handshake ? ++stats_.websocket_handshake_failures : ++stats_.protocol_errors;
  if (!worth_logging(n)) return;
  if (handshake) {
    log_->info("websocket {}: upgrade refused: {} ({} refused so far)", peer, why, n);
  } else {
    log_->info("websocket {}: closed: {} ({} protocol errors so far)", peer, why, n);
  }
}

std::optional<LimitKind> Broker::topic_over_limits(std::string_view topic,
                                                   std::string_view levels) const {
  if (topic.size() > options_.max_topic_length) return LimitKind::TopicLength;
  const auto n = static_cast<std::size_t>(std::count(levels.begin(), levels.end(), '/')) + 1;
  if (n > options_.max_topic_levels) return LimitKind::TopicLevels;
  return std::nullopt;
}

void Broker::flush_limit_log(std::chrono::steady_clock::time_point now) {
  limit_log_.flush(now, [&](LimitKind kind, std::uint64_t held_back) {
    log_->warn("limit {}: {} more hits in the last minute", to_string(kind), held_back);
  });
}

void Broker::on_tls_handshake_failed(const std::string& peer, const std::string& reason) {
  ++stats_.tls_handshake_failures;
  if (worth_logging(stats_.tls_handshake_failures)) {
    log_->warn("TLS handshake with {} failed: {} ({} failed so far)", peer, reason,
               stats_.tls_handshake_failures);
  }
}

void Broker::on_connect(Client& client, Connect&& connect) {
  const bool v5 = connect.version == ProtocolVersion::V5;
  auto refuse = [&](ConnackReason reason, std::string_view why) {
    ++stats_.connections_refused;
    log_->info("client {} '{}': CONNECT refused: {}", client.peer(), connect.client_id, why);
    client.send(Connack{.reason = reason});
    client.close();
  };

  // Limits. MQTT 5 §3.2.2.2: 0x9F Connection rate exceeded (MQTT 3.1.1: 3, server unavailable).
  if (client.over_connect_rate()) {
    limit_hit(LimitKind::ConnectRate, "client {} '{}': CONNECT refused: more than {}/s (burst {})",
              client.peer(), connect.client_id, options_.max_connect_rate,
              options_.max_connect_burst);
    ++stats_.connections_refused;
    client.send(Connack{.reason = ConnackReason::ConnectionRateExceeded});
    client.close();
    return;
  }
  if (connect.will) {
    const std::string_view will_topic = connect.will->topic.str();
    if (const auto over = topic_over_limits(will_topic, will_topic)) {
      limit_hit(*over, "client {} '{}': CONNECT refused: will topic of {} bytes, {} levels",
                client.peer(), connect.client_id, will_topic.size(),
                std::count(will_topic.begin(), will_topic.end(), '/') + 1);
      ++stats_.connections_refused;
      // MQTT 5 §3.2.2.2: 0x90 Topic Name invalid ("the Will Topic Name is ... not accepted").
      // MQTT 3.1.1 has no return code for it: close without CONNACK [MQTT-3.2.2-6].
      if (v5) client.send(Connack{.reason = ConnackReason::TopicNameInvalid});
      client.close();
      return;
    }
  }
  if (options_.redirect) {
    // MQTT 5 §4.11 Server redirection.
    ++stats_.connections_refused;
    Connack ack{.reason = options_.redirect->permanent ? ConnackReason::ServerMoved
                                                       : ConnackReason::UseAnotherServer};
    if (v5) ack.props.server_reference = options_.redirect->server_reference;
    log_->info("client {} '{}': redirected to {}", client.peer(), connect.client_id,
               options_.redirect->server_reference);
    client.send(ack);
    client.close();
    return;
  }
  // MQTT 5 §4.12 enhanced authentication: SCRAM (broker_enhanced_auth.cpp), or 0x8C.
  if (v5 && connect.props.authentication_method) {
    begin_enhanced_auth(client, std::move(connect));
    return;
  }
  if (auto identity = client.tls_identity()) {
    // The listener takes the user name from the verified client certificate: the certificate is
    // the credential, so no password is checked (a password sent anyway is ignored). A user name
    // in CONNECT must name the same identity: a client that claims to be someone else is refused
    // rather than silently renamed.
    if (connect.username && *connect.username != *identity) {
      ++stats_.auth_failures;
      refuse(ConnackReason::BadUserNameOrPassword,
             "user name '" + *connect.username + "' is not the certificate's '" + *identity + "'");
      return;
    }
    connect.username = std::move(*identity);
    finish_connect(client, std::move(connect), /*verified=*/true);
    return;
  }
  if (connect.username && auth_) {
    // Verified off the core thread; the client holds any packets it sends meanwhile.
    const std::uint64_t ticket = next_auth_ticket_++;
    authenticating_.emplace(ticket, &client);
    client.hold_until_authenticated(ticket);
    // Copied first: the continuation below takes `connect` over.
    std::string user = *connect.username;
    std::string password = connect.password.value_or(std::string());
    auth_->check(std::move(user), std::move(password), client.peer_address(),
                 [this, ticket, c = std::move(connect)](auth::Authenticator::Outcome o) mutable {
                   on_authenticated(ticket, std::move(c), o);
                 });
    return;
  }
  if (!anonymous_allowed(client)) {
    refuse(ConnackReason::NotAuthorized,
           options_.allow_anonymous.has_value()
               ? "anonymous access disabled"
               : "anonymous access is allowed from this machine only (broker.allow_anonymous)");
    return;
  }
  finish_connect(client, std::move(connect), /*verified=*/false);
}

bool Broker::anonymous_allowed(const Client& client) const {
  return options_.allow_anonymous.value_or(client.peer_is_loopback());
}

void Broker::on_authenticated(std::uint64_t ticket, Connect&& connect,
                              auth::Authenticator::Outcome outcome) {
  const auto it = authenticating_.find(ticket);
  if (it == authenticating_.end()) return;  // the connection is gone
  Client& client = *it->second;
  authenticating_.erase(it);
  if (client.closing()) return;  // closed meanwhile (timeout, too many held packets, shutdown)
  using Outcome = auth::Authenticator::Outcome;
  if (outcome != Outcome::Accepted) {
    ++stats_.connections_refused;
    if (outcome == Outcome::BadCredentials) ++stats_.auth_failures;
    log_->info("client {} '{}': CONNECT refused: {}", client.peer(), connect.client_id,
               outcome == Outcome::Busy ? "too many logins in progress"
                                        : "bad user name or password (user '" +
                                              connect.username.value_or("") + "')");
    client.send(Connack{.reason = outcome == Outcome::Busy ? ConnackReason::ServerBusy
                                                           : ConnackReason::BadUserNameOrPassword});
    client.close();
    return;
  }
  finish_connect(client, std::move(connect), /*verified=*/true);
  client.release_held();
}

std::string Broker::load_salt_key() const {
  const std::string& path = options_.scram_salt_key_file;
  if (path.empty()) return {};
  auto key = auth::load_or_create_salt_key(path);
  if (!key) {
    log_->warn("{}: {}; the fake SCRAM salts of unknown users will change at every restart",
               path, key.error().message());
    return {};
  }
  if (key->replaced) log_->warn("{}: not a salt key (wrong size), replaced with a new one", path);
  if (key->mode_repaired) log_->warn("{}: was readable by other users, now 0600", path);
  if (key->created) log_->info("{}: new key for the fake SCRAM salts of unknown users", path);
  return std::move(key->key);
}

void Broker::set_users(auth::PasswordTable users) {
  if (auth_) {
    auth_->replace_users(std::move(users));
  } else {
    auth_ = std::make_unique<auth::Authenticator>(io_, clock_, std::move(users),
                                                  [this] { return load_salt_key(); });
  }
}

void Broker::finish_connect(Client& client, Connect&& connect, bool verified) {
  const bool v5 = connect.version == ProtocolVersion::V5;
  auto refuse = [&](ConnackReason reason, std::string_view why) {
    ++stats_.connections_refused;
    log_->info("client {} '{}': CONNECT refused: {}", client.peer(), connect.client_id, why);
    client.send(Connack{.reason = reason});
    client.close();
  };
  // MQTT 5 §3.2.2.3.4 [MQTT-3.2.2-12] and §3.2.2.3.5 [MQTT-3.2.2-13]: a will the server cannot
  // honour (QoS above Maximum QoS, Will Retain without Retain Available) rejects the connection.
  // MQTT 3.1.1 announces no such limits: its will is lowered to them when published.
  if (v5 && connect.will && connect.will->qos > options_.maximum_qos) {
    refuse(ConnackReason::QosNotSupported, "will QoS above maximum QoS");
    return;
  }
  if (v5 && connect.will && connect.will->retain && !options_.retain_available) {
    refuse(ConnackReason::RetainNotSupported, "will retain but retain not available");
    return;
  }

  std::string client_id = connect.client_id;
  bool assigned = false;
  if (client_id.empty()) {
    // MQTT 3.1.1 §3.1.3.1 [MQTT-3.1.3-8]: a zero-byte ClientId needs CleanSession=1, else 0x02.
    if (!v5 && !connect.clean_start) {
      refuse(ConnackReason::ClientIdentifierNotValid, "empty client id without clean session");
      return;
    }
    // MQTT 5 §3.1.3.1 [MQTT-3.1.3-6]: assign one and return it in Assigned Client Identifier.
    client_id = assign_client_id();
    assigned = true;
  }

  // Session Expiry Interval (MQTT 5 §3.1.2.11.2); MQTT 3.1.1 CleanSession=0 means "keep".
  std::uint32_t requested_expiry =
      v5 ? connect.props.session_expiry.value_or(0) : (connect.clean_start ? 0 : Session::kNever);
  const std::uint32_t max_expiry = to_u32_seconds(options_.max_session_expiry);
  const std::uint32_t expiry = std::min(requested_expiry, max_expiry);

  // Keep Alive (MQTT 5 §3.1.2.10): a configured maximum replaces a larger or zero value and is
  // announced as Server Keep Alive [MQTT-3.2.2-21]. MQTT 3.1.1 has no way to tell the client,
  // so its own value stands.
  std::uint16_t keep_alive = connect.keep_alive;
  bool server_keep_alive = false;
  const auto max_ka = static_cast<std::uint16_t>(options_.max_keep_alive.count());
  if (v5 && max_ka > 0 && (keep_alive == 0 || keep_alive > max_ka)) {
    keep_alive = max_ka;
    server_keep_alive = true;
  }

  // The CONNACK first (Session Present is set below): it must fit the client's Maximum Packet Size.
  Connack ack{.reason = ConnackReason::Success};
  if (v5) {
    auto& p = ack.props;
    if (assigned) p.assigned_client_id = client_id;
    if (expiry != requested_expiry) p.session_expiry = expiry;  // MQTT 5 §3.2.2.3.2
    if (options_.receive_maximum != 65535) p.receive_maximum = options_.receive_maximum;
    if (options_.maximum_qos != QoS::ExactlyOnce) p.maximum_qos = options_.maximum_qos;
    if (!options_.retain_available) p.retain_available = false;
    if (options_.max_packet_size < kMaxPacketSize) p.maximum_packet_size = options_.max_packet_size;
    if (options_.topic_alias_maximum > 0) p.topic_alias_maximum = options_.topic_alias_maximum;
    if (!options_.wildcard_subscriptions) p.wildcard_subscription_available = false;
    if (!options_.subscription_identifiers) p.subscription_identifiers_available = false;
    if (!options_.shared_subscriptions) p.shared_subscription_available = false;
    if (server_keep_alive) p.server_keep_alive = keep_alive;
    // MQTT 5 §3.1.2.11.6 / §3.2.2.3.15: only to a client that asked for it.
    if (connect.props.request_response_information.value_or(false) &&
        !options_.response_information.empty()) {
      p.response_information = options_.response_information;
    }
    // MQTT 5 §4.12 [MQTT-4.12.0-5]: after enhanced authentication the CONNACK repeats the
    // method; its data is the exchange's last message (broker_enhanced_auth.cpp put it there).
    if (connect.props.authentication_method) {
      p.authentication_method = std::move(connect.props.authentication_method);
      p.authentication_data = std::move(connect.props.authentication_data);
    }
  }
  // MQTT 5 §3.1.2.11.4 [MQTT-3.1.2-24]. Only Response Information may be left out of a
  // successful CONNACK (the server "MAY" send it, §3.2.2.3.15): the limits it states bind the
  // client, and an assigned identifier is the client's name. A client that allows less is refused,
  // with the bare CONNACK 0x95 Packet too large when even that fits, else by closing.
  if (client.maximum_packet_size() < kMaxPacketSize) {
    auto size = encoded_size(ack, connect.version);
    if (size > client.maximum_packet_size() && ack.props.response_information) {
      ack.props.response_information.reset();
      size = encoded_size(ack, connect.version);
    }
    if (size > client.maximum_packet_size()) {
      refuse(ConnackReason::PacketTooLarge,
             fmt::format("its Maximum Packet Size {} is less than the {} bytes of its CONNACK",
                         client.maximum_packet_size(), size));
      return;
    }
  }

  Session* session = nullptr;
  bool session_present = false;
  bool was_persisted = false;
  if (auto it = sessions_.find(client_id); it != sessions_.end()) {
    Session& old = *it->second;
    // A session belongs to the user who made it: another user (or an anonymous client) may
    // neither resume it, and so read what was queued for its owner, nor push its owner off.
    const std::optional<std::string> who = verified ? connect.username : std::nullopt;
    if (old.user != who) {
      refuse(ConnackReason::NotAuthorized, "client id in use by another user");
      return;
    }
    if (old.client != nullptr) {
      // MQTT 5 §3.1.4 [MQTT-3.1.4-3]: the existing connection is closed, with DISCONNECT 0x8E.
      Client* previous = old.client;
      log_->info("client '{}': session taken over by {} (was {})", client_id, client.peer(),
                 previous->peer());
      old.client = nullptr;
      previous->detach_session();
      previous->disconnect(DisconnectReason::SessionTakenOver);
      // The old connection ended without DISCONNECT: its will stands (MQTT 5 §3.1.2.5). With a
      // Will Delay Interval it is held back, and the new connection to the session cancels it
      // [MQTT-3.1.3-9]; when the session ends below, that publishes it.
      if (!old.will || old.will->delay_interval.value_or(0) == 0) publish_will(old);
    }
    // MQTT 5 §3.1.2.11.2: a session with Session Expiry 0 ends when its network connection
    // closes, so a takeover ends it too (the old connection is closed first, §3.1.4), and the
    // new connection starts a new one whatever its Clean Start (MQTT 3.1.1 §3.1.2.4 likewise
    // for a CleanSession=1 session).
    const bool old_ends = connect.clean_start || old.expiry_interval == 0;
    old.expires_at.reset();
    if (old_ends) {
      end_session(old);
    } else {
      // MQTT 5 §3.1.3.2.2 [MQTT-3.1.3-9]: a new connection to the session before the delay
      // passed: the pending will is not sent.
      if (old.has_rare_state()) old.rare_for_update().will_at.reset();
      old.release_rare_if_empty();
      old.will.reset();
      session = &old;
      session_present = true;
      was_persisted = persisted(old);
    }
  }
  if (session == nullptr) {
    const SubscriberId id = by_subscriber_.claim(next_subscriber_++);
    auto created = std::make_unique<Session>(client_id, id);
    session = created.get();
    sessions_.emplace(session->client_id, std::move(created));
    by_subscriber_.attach(*session);
  }
  session->version = connect.version;
  session->user = verified ? connect.username : std::nullopt;
  session->expiry_interval = expiry;
  session->connect_expiry_zero = requested_expiry == 0;
  session->will = connect.will ? std::make_unique<Will>(std::move(*connect.will)) : nullptr;
  session->client = &client;
  persist_connect(*session, was_persisted);

  Client::Negotiated negotiated{.keep_alive_s = keep_alive};
  if (v5) {
    const auto& p = connect.props;
    negotiated.receive_maximum = p.receive_maximum.value_or(65535);
    negotiated.maximum_packet_size = p.maximum_packet_size.value_or(kMaxPacketSize);
    negotiated.topic_alias_maximum = p.topic_alias_maximum.value_or(0);
    negotiated.request_problem_information = p.request_problem_information.value_or(true);
  }
  client.accept_connect(*session, negotiated);
  ack.session_present = session_present;
  client.send(ack);
  // Checked first: the peer's name is formatted only when a line needs it (net::PeerInfo).
  if (log_->should_log(spdlog::level::debug)) {
    log_->debug("client {} '{}': connected (MQTT {}, keep alive {} s, session {})", client.peer(),
                client_id, v5 ? "5" : "3.1.1", keep_alive, session_present ? "resumed" : "new");
  }
  resume(*session);
}

void Broker::on_publish(Client& client, Publish&& publish) {
  Session& session = *client.session();
  // Back-pressure: route() may pause this publisher (broker_backpressure.cpp).
  const RoutingPublisher routing(routing_from_,
                                 options_.max_backpressure_wait.count() > 0 ? &client : nullptr);
  if (const auto over = topic_over_limits(publish.topic.str(), publish.topic.str())) {
    refuse_topic(client, session, publish, *over);
    return;
  }
  ++stats_.messages_received;
  if (is_sys_topic(publish.topic.str())) {
    refuse_publish(client, session, publish, /*sys=*/true);
    return;
  }
  if (!acl_.allows(principal(session), auth::Access::Publish, publish.topic.str())) {
    refuse_publish(client, session, publish);
    return;
  }
  auto message = std::make_shared<Message>();
  message->topic = publish.topic.str();
  message->payload = std::move(publish.payload);
  message->qos = publish.qos;
  message->retain = publish.retain;
  message->props = std::move(publish.props.message);
  const auto id = publish.packet_id;

  switch (publish.qos) {
    case QoS::AtMostOnce:
      route(message, session.id);
      return;
    case QoS::AtLeastOnce: {
      const auto n = route(message, session.id);
      // MQTT 5 §3.4.2.1: 0x10 tells the publisher nobody received it.
      client.send(Puback{.packet_id = id,
                         .reason = n == 0 ? PubackReason::NoMatchingSubscribers : PubackReason::Success});
      return;
    }
    case QoS::ExactlyOnce: {
      const auto raw = static_cast<std::uint16_t>(id);
      if (session.rare().awaiting_pubrel.contains(raw)) {
        // A resent PUBLISH (DUP) before PUBREL: acknowledge, do not deliver twice (§4.3.3).
        client.send(Pubrec{.packet_id = id});
        return;
      }
      // MQTT 5 §3.3.4 [MQTT-3.3.4-9]: more unacknowledged QoS 2 than our Receive Maximum.
      // MQTT 3.1.1 announces no such limit, so its clients are held only to the packet ids.
      if (client.version() == ProtocolVersion::V5 &&
          session.rare().awaiting_pubrel.size() >= options_.receive_maximum) {
        client.disconnect(DisconnectReason::ReceiveMaximumExceeded);
        return;
      }
      // Recorded before routing, which must not be followed by any use of `session`.
      session.rare_for_update().awaiting_pubrel.insert(raw);
      persist_row(session);
      const auto n = route(message, session.id);
      client.send(Pubrec{.packet_id = id,
                         .reason = n == 0 ? PubrecReason::NoMatchingSubscribers : PubrecReason::Success});
      return;
    }
  }
}

// A PUBLISH the ACL does not allow. MQTT 5 says so in the acknowledgement (0x87, which ends a
// QoS 2 flow at PUBREC); MQTT 3.1.1 has no way to: the message is acknowledged as usual and
// dropped, as Mosquitto does, so the client does not resend it forever. A PUBLISH into the
// broker's own $SYS/ tree is refused the same way, whatever the ACL says, and counted apart.
void Broker::refuse_publish(Client& client, Session& session, const Publish& publish, bool sys) {
  if (sys) {
    ++stats_.sys_publish_refused;
    if (worth_logging(stats_.sys_publish_refused)) {
      log_->info("client {} '{}': PUBLISH to '{}' refused: $SYS/ is the broker's ({} so far)",
                 client.peer(), session.client_id, publish.topic.str(), stats_.sys_publish_refused);
    }
  } else if (++stats_.acl_denied_publish; worth_logging(stats_.acl_denied_publish)) {
    log_->info("client {} '{}': PUBLISH to '{}' not authorised by the ACL ({} so far)",
               client.peer(), session.client_id, publish.topic.str(), stats_.acl_denied_publish);
  }
  const bool v5 = client.version() == ProtocolVersion::V5;
  const auto id = publish.packet_id;
  if (publish.qos == QoS::AtLeastOnce) {
    client.send(Puback{.packet_id = id,
                       .reason = v5 ? PubackReason::NotAuthorized : PubackReason::Success});
  } else if (publish.qos == QoS::ExactlyOnce) {
    if (!v5) {
      session.rare_for_update().awaiting_pubrel.insert(static_cast<std::uint16_t>(id));
      persist_row(session);
    }
    client.send(Pubrec{.packet_id = id,
                       .reason = v5 ? PubrecReason::NotAuthorized : PubrecReason::Success});
  }
}

// A PUBLISH whose topic is over max_topic_length or max_topic_levels. MQTT 5 lets the server
// refuse a well-formed topic name with 0x90 Topic Name invalid in PUBACK (§3.4.2.1) and PUBREC
// (§3.5.2.1), where the connection stays; QoS 0 has no acknowledgement, so the refusal is a
// DISCONNECT 0x90 (§3.14.2.1) rather than a silent drop. MQTT 3.1.1 has no negative
// acknowledgement: the connection closes (§4.8).
void Broker::refuse_topic(Client& client, Session& session, const Publish& publish, LimitKind over) {
  const std::string_view t = publish.topic.str();
  limit_hit(over, "client {} '{}': PUBLISH refused: topic of {} bytes, {} levels", client.peer(),
            session.client_id, t.size(), std::count(t.begin(), t.end(), '/') + 1);
  if (client.version() != ProtocolVersion::V5) {
    client.close();
  } else if (publish.qos == QoS::AtLeastOnce) {
    client.send(Puback{.packet_id = publish.packet_id, .reason = PubackReason::TopicNameInvalid});
  } else if (publish.qos == QoS::ExactlyOnce) {
    client.send(Pubrec{.packet_id = publish.packet_id, .reason = PubrecReason::TopicNameInvalid});
  } else {
    client.disconnect(DisconnectReason::TopicNameInvalid,
                      over == LimitKind::TopicLength ? "topic longer than max_topic_length"
                                                     : "topic deeper than max_topic_levels");
  }
}

void Broker::publish(Message message) {
  if (!TopicName::make(message.topic)) {
    log_->warn("in-process publish refused: invalid topic name '{}'", message.topic);
    return;
  }
  // The broker's own $SYS/ statistics are not traffic: counting them would make
  // $SYS/broker/messages/received change at every interval on an idle box.
  if (!is_sys_topic(message.topic)) ++stats_.messages_received;
  note_size(message);
  route(std::make_shared<const Message>(std::move(message)), std::nullopt);
}

void Broker::note_size(const Message& message) {
  if (!copies_may_outgrow_packets_) note_size(publish_size(message, ProtocolVersion::V5));
}

void Broker::note_size(std::uint64_t packet_size) {
  if (may_outgrow_packets(packet_size, subscription_bound_)) {
    copies_may_outgrow_packets_ = true;  // for good: the message may be queued or retained
  }
}

std::size_t Broker::route(const std::shared_ptr<const Message>& message,
                          std::optional<SubscriberId> from) {
  const auto now = clock_.steady();
  if (message->retain) persist_retained(message, retained_.retain(message, now));
  aggregator_.reset(from);
  tree_.match(message->topic, aggregator_.visitor());
  const auto deliveries = aggregator_.finish();
  std::size_t delivered = 0;
  for (const Delivery& d : deliveries) {
    if (auto local = local_.find(d.subscriber); local != local_.end()) {
      if (!(local->second.no_local && from == local->second.owner)) {
        local_queue_.emplace_back(d.subscriber, message);
        ++delivered;
        if (routing_from_ != nullptr && !local_gauges_.empty()) {
          throttle_if_local_over(local->second.owner);
        }
      }
      continue;
    }
    Session* const subscriber = by_subscriber_.find(d.subscriber);
    if (subscriber == nullptr) continue;
    // MQTT 5 §3.3.1.3 [MQTT-3.3.1-12]: RETAIN is cleared on forwarding unless Retain As Published.
    if (deliver(*subscriber,
                OutgoingMessage{message, std::min(message->qos, d.max_qos),
                                d.retain_as_published && message->retain,
                                {d.subscription_ids.begin(), d.subscription_ids.end()}, now})) {
      ++delivered;
    }
    if (routing_from_ != nullptr) throttle_if_over(*subscriber);
  }
  schedule_local_drain();
  return delivered;
}

void Broker::schedule_local_drain() {
  if (local_queue_.empty() || local_drain_posted_) return;
  local_drain_posted_ = true;
  // Handlers run from the event loop, never inside routing: nothing up the stack can be holding
  // a Session or Client that a handler's actions (publish, shutdown, ...) might end.
  asio::post(io_, [this, alive = std::weak_ptr<void>(alive_)] {
    if (alive.expired()) return;
    local_drain_posted_ = false;
    drain_local();
  });
}

void Broker::drain_local() {
  // Swapped out first: handlers may publish, which queues for the next drain.
  std::vector<std::pair<SubscriberId, std::shared_ptr<const Message>>> batch;
  batch.swap(local_queue_);
  for (auto& [id, message] : batch) {
    auto it = local_.find(id);
    if (it == local_.end()) continue;  // unsubscribed meanwhile
    const auto handler = it->second.handler;  // shared: the handler may unsubscribe itself
    try {
      (*handler)(message);
    } catch (const std::exception& e) {
      // STYLE: nothing throws through the data path; one bad handler must not stop the others.
      ++stats_.local_handler_errors;
      log_->error("in-process subscriber '{}': handler failed on '{}': {}", it->second.filter,
                  message->topic, e.what());
    }
  }
  if (local_queue_.empty()) {  // keep the capacity for the next batch
    batch.clear();
    local_queue_.swap(batch);
  }
}

SubscriberId Broker::add_local_subscriber() { return SubscriberId{next_subscriber_++}; }

void Broker::remove_local_subscriber(SubscriberId owner) {
  set_local_backlog(owner, nullptr);
  for (auto it = local_.begin(); it != local_.end();) {
    if (it->second.owner == owner) {
      tree_.remove_all(it->first);
      it = local_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<SubscriberId> Broker::find_local(SubscriberId owner, std::string_view filter) const {
  for (const auto& [id, sub] : local_) {
    if (sub.owner == owner && sub.filter == filter) return id;
  }
  return std::nullopt;
}

void Broker::subscribe_local(SubscriberId owner, const TopicFilter& filter, LocalHandler handler,
                             bool no_local, bool send_retained) {
  const auto existing = find_local(owner, filter.str());
  const SubscriberId id = existing.value_or(SubscriberId{next_subscriber_++});
  local_[id] = LocalSubscription{owner, filter.str(),
                                 std::make_shared<const LocalHandler>(std::move(handler)), no_local};
  if (!existing) {
    tree_.subscribe(filter.str(), id, broker::SubscriptionOptions{.max_qos = QoS::ExactlyOnce});
  }
  if (send_retained && !filter.is_shared()) {
    retained_.match(filter.filter(), clock_.steady(), [&](const RetainedMatch& m) {
      local_queue_.emplace_back(id, m.message);
    });
    schedule_local_drain();
  }
}

bool Broker::unsubscribe_local(SubscriberId owner, std::string_view filter) {
  const auto id = find_local(owner, filter);
  if (!id) return false;
  tree_.unsubscribe(filter, *id);
  local_.erase(*id);
  return true;
}

void Broker::publish_local(Message message, SubscriberId from) {
  ++stats_.messages_received;
  note_size(message);
  route(std::make_shared<const Message>(std::move(message)), from);
}

std::size_t Broker::quota(const Session& session) const {
  const std::size_t client_max = session.client != nullptr ? session.client->receive_maximum() : 0;
  return std::min<std::size_t>(client_max, options_.max_inflight);
}

bool Broker::deliver(Session& session, OutgoingMessage out) {
  if (!acl_.empty() &&
      !acl_.allows(principal(session), auth::Access::Receive, out.message->topic)) {
    ++stats_.acl_denied_receive;
    return false;
  }
  if (session.client == nullptr) {
    if (out.qos == QoS::AtMostOnce) {
      ++stats_.dropped_qos0_offline;
      return true;
    }
    enqueue(session, std::move(out));
    return true;
  }
  if (out.qos == QoS::AtMostOnce) {
    // A reader that does not keep up loses QoS 0 messages, not the broker's memory.
    if (session.client->pending_bytes() > options_.max_queued_bytes ||
        send_publish(session, out, std::nullopt) == SendOutcome::Unsent) {
      ++stats_.dropped_queue_full;
      limit_hit(LimitKind::QueuedBytes, "client '{}': not reading, QoS 0 message on '{}' dropped",
                session.client_id, out.message->topic);
    }
    return true;
  }
  if (session.queue.empty() && session.unsent == 0 && sent_in_flight(session) < quota(session) &&
      session.client->pending_bytes() <= options_.max_queued_bytes) {
    start_inflight(session, std::move(out));
    return true;
  }
  enqueue(session, std::move(out));
  return true;
}

void Broker::enqueue(Session& session, OutgoingMessage out) {
  const std::size_t bytes = RetainedStore::message_bytes(*out.message);
  while (!session.queue.empty() && (session.queue.size() >= options_.max_queued_messages ||
                                    session.queued_bytes + bytes > options_.max_queued_bytes)) {
    session.queued_bytes -= RetainedStore::message_bytes(*session.queue.front().message);
    persist_gone(session, session.queue.front());
    session.queue.pop_front();
    ++stats_.dropped_queue_full;
    if (session.queue.size() + 1 >= options_.max_queued_messages) {
      limit_hit(LimitKind::QueuedMessages, "client '{}': queue full ({} messages), dropped the oldest",
                session.client_id, options_.max_queued_messages);
    } else {
      limit_hit(LimitKind::QueuedBytes, "client '{}': queue full ({} bytes), dropped the oldest",
                session.client_id, options_.max_queued_bytes);
    }
  }
  session.queued_bytes += bytes;
  persist_queued(session, out);
  session.queue.push_back(std::move(out));
}

std::size_t Broker::sent_in_flight(const Session& session) {
  return session.inflight.size() - session.unsent;
}

void Broker::start_inflight(Session& session, OutgoingMessage out) {
  const auto id = session.next_packet_id();
  if (!id) {
    enqueue(session, std::move(out));
    return;
  }
  const auto outcome = send_publish(session, out, id);
  if (outcome == SendOutcome::Dropped) {  // expired or too large: never in flight
    persist_gone(session, out);
    return;
  }
  const auto state = out.qos == QoS::AtLeastOnce ? Inflight::State::AwaitPuback
                                                 : Inflight::State::AwaitPubrec;
  const bool unsent = outcome == SendOutcome::Unsent;
  const auto raw_id = static_cast<std::uint16_t>(*id);
  auto [entry, added] = session.inflight.emplace(
      raw_id, Inflight{std::move(out), state, session.next_seq++, unsent, !unsent});
  if (unsent) ++session.unsent;
  persist_inflight(session, raw_id, entry->second);
}

std::optional<std::uint32_t> Broker::remaining_expiry(const OutgoingMessage& out) const {
  const auto& expiry = out.message->props.message_expiry;
  if (!expiry) return std::nullopt;
  const auto waited = std::chrono::duration_cast<std::chrono::seconds>(clock_.steady() - out.since);
  const auto waited_s = static_cast<std::uint64_t>(std::max<std::int64_t>(waited.count(), 0));
  if (waited_s >= *expiry) return 0;
  return static_cast<std::uint32_t>(*expiry - waited_s);
}

Broker::SendOutcome Broker::send_publish(Session& session, const OutgoingMessage& out,
                                         std::optional<PacketId> id, bool resend) {
  Client* client = session.client;
  if (client == nullptr) return SendOutcome::Unsent;
  auto expiry = remaining_expiry(out);
  if (expiry && *expiry == 0) {
    // MQTT 5 §3.3.2.3.3 [MQTT-3.3.2-5]: an expired message is not delivered; but one whose
    // delivery already started is completed (the client may hold its packet id).
    if (!resend) {
      ++stats_.dropped_expired;
      return SendOutcome::Dropped;
    }
    expiry = 1;
  }
  // Encoded straight from the shared message: no copy of topic, payload or properties.
  const PublishView view{.message = *out.message,
                         .qos = out.qos,
                         .retain = out.retain,
                         .dup = resend,
                         .packet_id = id.value_or(PacketId{}),
                         .message_expiry = expiry,
                         .subscription_ids = out.subscription_ids};
  switch (client->send(view)) {
    case Client::SendResult::Sent:
      ++stats_.messages_sent;
      return SendOutcome::Sent;
    case Client::SendResult::NotWritable:
      return SendOutcome::Unsent;
    case Client::SendResult::TooLarge:
      break;
  }
  // MQTT 5 §3.1.2.11.4 [MQTT-3.1.2-25]: larger than the client accepts: dropped for this
  // client only, as if it had been delivered.
  ++stats_.dropped_too_large;
  if (worth_logging(stats_.dropped_too_large)) {
    log_->warn("client '{}': message on '{}' exceeds its maximum packet size {}, dropped ({} so far)",
               session.client_id, out.message->topic, client->maximum_packet_size(),
               stats_.dropped_too_large);
  }
  return SendOutcome::Dropped;
}

std::map<std::uint16_t, Inflight>::iterator Broker::first_unsent(Session& session) {
  auto first = session.inflight.end();
  for (auto it = session.inflight.begin(); it != session.inflight.end(); ++it) {
    if (it->second.unsent && (first == session.inflight.end() || it->second.seq < first->second.seq)) {
      first = it;
    }
  }
  return first;
}

void Broker::pump(Session& session) {
  while (session.client != nullptr && sent_in_flight(session) < quota(session)) {
    // In-flight messages waiting for quota go first, in their original order.
    if (session.unsent > 0) {
      const auto it = first_unsent(session);
      Inflight& e = it->second;
      const auto outcome = send_publish(session, e.out, PacketId{it->first}, e.was_sent);
      if (outcome == SendOutcome::Unsent) return;
      --session.unsent;
      if (outcome == SendOutcome::Dropped) {
        persist_gone(session, e.out);
        session.inflight.erase(it);
        continue;
      }
      e.unsent = false;
      if (!e.was_sent) {
        e.was_sent = true;
        persist_inflight(session, it->first, e);
      }
      continue;
    }
    if (session.queue.empty()) return;
    if (session.client->pending_bytes() > options_.max_queued_bytes) return;
    OutgoingMessage out = std::move(session.queue.front());
    session.queue.pop_front();
    session.queued_bytes -= RetainedStore::message_bytes(*out.message);
    if (out.qos == QoS::AtMostOnce) {
      if (send_publish(session, out, std::nullopt) == SendOutcome::Unsent) ++stats_.dropped_queue_full;
    } else {
      start_inflight(session, std::move(out));
    }
  }
}

void Broker::resume(Session& session) {
  // MQTT 5 §4.4 [MQTT-4.4.0-1]: on a resumed session, resend unacknowledged PUBLISHes (DUP set)
  // and PUBRELs, in their original order. PUBRELs go at once; PUBLISHes become unsent and leave
  // through pump() within the new connection's Receive Maximum [MQTT-3.3.4-9].
  std::vector<std::pair<std::uint64_t, std::uint16_t>> order;
  order.reserve(session.inflight.size());
  for (const auto& [id, e] : session.inflight) order.emplace_back(e.seq, id);
  std::sort(order.begin(), order.end());
  session.unsent = 0;
  for (const auto& [seq, id] : order) {
    Inflight& e = session.inflight.at(id);
    if (e.state == Inflight::State::AwaitPubcomp) {
      if (session.client != nullptr) session.client->send(Pubrel{.packet_id = PacketId{id}});
      e.unsent = false;
      continue;
    }
    e.unsent = true;
    ++session.unsent;
  }
  pump(session);
}

void Broker::on_puback(Client& client, const Puback& ack) {
  Session& session = *client.session();
  auto it = session.inflight.find(static_cast<std::uint16_t>(ack.packet_id));
  if (it == session.inflight.end() || it->second.state != Inflight::State::AwaitPuback) return;
  if (it->second.unsent) --session.unsent;  // acknowledged from an earlier connection
  persist_gone(session, it->second.out);
  session.inflight.erase(it);
  pump(session);
}

void Broker::on_pubrec(Client& client, const Pubrec& rec) {
  Session& session = *client.session();
  auto it = session.inflight.find(static_cast<std::uint16_t>(rec.packet_id));
  if (it == session.inflight.end() || it->second.state == Inflight::State::AwaitPuback) {
    // MQTT 5 §3.6.2.1: answer a PUBREC we cannot match with PUBREL 0x92.
    client.send(Pubrel{.packet_id = rec.packet_id, .reason = PubrelReason::PacketIdentifierNotFound});
    return;
  }
  if (it->second.unsent) {  // received on an earlier connection, acknowledged now
    it->second.unsent = false;
    --session.unsent;
  }
  if (static_cast<std::uint8_t>(rec.reason) >= 0x80) {
    // MQTT 5 §4.3.3: a failed PUBREC ends the exchange; the id is free again.
    persist_gone(session, it->second.out);
    session.inflight.erase(it);
    pump(session);
    return;
  }
  it->second.state = Inflight::State::AwaitPubcomp;
  persist_inflight(session, it->first, it->second);
  client.send(Pubrel{.packet_id = rec.packet_id});
}

void Broker::on_pubcomp(Client& client, const Pubcomp& comp) {
  Session& session = *client.session();
  auto it = session.inflight.find(static_cast<std::uint16_t>(comp.packet_id));
  if (it == session.inflight.end() || it->second.state != Inflight::State::AwaitPubcomp) return;
  persist_gone(session, it->second.out);
  session.inflight.erase(it);
  pump(session);
}

void Broker::on_pubrel(Client& client, const Pubrel& rel) {
  Session& session = *client.session();
  const auto id = static_cast<std::uint16_t>(rel.packet_id);
  const bool known =
      session.has_rare_state() && session.rare_for_update().awaiting_pubrel.erase(id) > 0;
  session.release_rare_if_empty();
  if (known) persist_row(session);
  client.send(Pubcomp{.packet_id = rel.packet_id,
                      .reason = known ? PubcompReason::Success
                                      : PubcompReason::PacketIdentifierNotFound});
}

void Broker::on_subscribe(Client& client, Subscribe&& subscribe) {
  Session& session = *client.session();
  const bool v5 = client.version() == ProtocolVersion::V5;
  // MQTT 5 §3.2.2.3.12 [MQTT-3.8.2-? ]: a Subscription Identifier when we announced none.
  if (subscribe.props.subscription_id && !options_.subscription_identifiers) {
    client.disconnect(DisconnectReason::SubscriptionIdentifiersNotSupported);
    return;
  }
  struct RetainedRequest {
    std::string filter;
    QoS qos;
  };
  std::vector<RetainedRequest> send_retained;
  Suback ack{.packet_id = subscribe.packet_id, .reasons = {}, .props = {}};
  ack.reasons.reserve(subscribe.subscriptions.size());
  for (const auto& sub : subscribe.subscriptions) {
    const auto& filter = sub.filter;
    if (const auto over = topic_over_limits(filter.str(), filter.filter())) {
      limit_hit(*over, "client {} '{}': filter of {} bytes, {} levels refused", client.peer(),
                session.client_id, filter.str().size(),
                std::count(filter.filter().begin(), filter.filter().end(), '/') + 1);
      // MQTT 5 §3.9.3: 0x8F Topic Filter invalid ("correctly formed but not allowed").
      ack.reasons.push_back(v5 ? SubackReason::TopicFilterInvalid : SubackReason::UnspecifiedError);
      continue;
    }
    if (filter.is_shared() && !options_.shared_subscriptions) {
      ack.reasons.push_back(v5 ? SubackReason::SharedSubscriptionsNotSupported
                               : SubackReason::UnspecifiedError);
      continue;
    }
    if (!acl_.allows_subscribe(principal(session), filter.str())) {
      ++stats_.acl_denied_subscribe;
      log_->info("client {} '{}': subscription to '{}' not authorised by the ACL",
                 client.peer(), session.client_id, filter.str());
      ack.reasons.push_back(v5 ? SubackReason::NotAuthorized : SubackReason::UnspecifiedError);
      continue;
    }
    if (filter.has_wildcards() && !options_.wildcard_subscriptions) {
      ack.reasons.push_back(v5 ? SubackReason::WildcardSubscriptionsNotSupported
                               : SubackReason::UnspecifiedError);
      continue;
    }
    if (tree_.subscription_count(session.id) >= options_.max_subscriptions_per_client &&
        !tree_.holds(session.id, filter.str())) {
      limit_hit(LimitKind::Subscriptions, "client {} '{}': subscription to '{}' refused: {} held",
                client.peer(), session.client_id, filter.str(),
                options_.max_subscriptions_per_client);
      // MQTT 5 §3.9.3: 0x97 Quota exceeded; MQTT 3.1.1 has only 0x80 Failure.
      ack.reasons.push_back(v5 ? SubackReason::QuotaExceeded : SubackReason::UnspecifiedError);
      continue;
    }
    const QoS qos = std::min(sub.options.max_qos, options_.maximum_qos);
    auto granted_options = sub.options;
    granted_options.max_qos = qos;
    const auto options = make_subscription_options(granted_options, subscribe.props.subscription_id);
    const auto result = tree_.subscribe(filter.str(), session.id, options);
    persist_subscription(session, filter.str(), options);
    ack.reasons.push_back(granted(qos));
    // MQTT 5 §3.3.1.3: retained messages on subscribe, per Retain Handling; never for a shared
    // subscription (MQTT 5 §4.8.2).
    const auto rh = sub.options.retain_handling;
    if (!filter.is_shared() &&
        (rh == RetainHandling::SendOnSubscribe ||
         (rh == RetainHandling::SendOnNewSubscribe && result == SubscribeResult::Added))) {
      send_retained.push_back({std::string(filter.filter()), qos});
    }
  }
  client.send(ack);

  const auto now = clock_.steady();
  std::vector<std::uint32_t> ids;
  if (subscribe.props.subscription_id) ids.push_back(*subscribe.props.subscription_id);
  for (const auto& req : send_retained) {
    std::vector<OutgoingMessage> found;
    retained_.match(req.filter, now, [&](const RetainedMatch& m) {
      // [MQTT-3.3.1-9]: sent because of a new subscription, RETAIN is set.
      found.push_back(OutgoingMessage{m.message, std::min(m.message->qos, req.qos), true, ids,
                                      m.stored_at});
    });
    for (auto& out : found) deliver(session, std::move(out));
  }
}

void Broker::on_unsubscribe(Client& client, Unsubscribe&& unsubscribe) {
  Session& session = *client.session();
  Unsuback ack{.packet_id = unsubscribe.packet_id, .reasons = {}, .props = {}};
  for (const auto& filter : unsubscribe.filters) {
    const bool removed = tree_.unsubscribe(filter.str(), session.id);
    if (removed) persist_unsubscription(session, filter.str());
    ack.reasons.push_back(removed ? UnsubackReason::Success
                                  : UnsubackReason::NoSubscriptionExisted);
  }
  client.send(ack);
}

bool Broker::on_disconnect(Client& client, const Disconnect& disconnect) {
  Session& session = *client.session();
  if (client.version() == ProtocolVersion::V5 && disconnect.props.session_expiry) {
    // MQTT 5 §3.14.2.2.2 [MQTT-3.14.2-2]: no Session Expiry Interval on DISCONNECT after 0.
    if (session.connect_expiry_zero && *disconnect.props.session_expiry != 0) return false;
    const bool was_persisted = persisted(session);
    session.expiry_interval =
        std::min(*disconnect.props.session_expiry, to_u32_seconds(options_.max_session_expiry));
    if (was_persisted && !persisted(session)) journal_.session_ended(session.client_id);
  }
  // MQTT 5 §3.1.2.5 [MQTT-3.1.2-10]: a normal DISCONNECT discards the will; 0x04 keeps it.
  if (disconnect.reason != DisconnectReason::DisconnectWithWillMessage) session.will.reset();
  persist_row(session);
  return true;
}

void Broker::on_client_closed(Client& client, Session& session) {
  if (session.client != &client) return;  // taken over: the new connection owns it now
  session.client = nullptr;
  const std::uint32_t delay = session.will ? session.will->delay_interval.value_or(0) : 0;
  if (delay > 0 && session.expiry_interval > 0) {
    // MQTT 5 §3.1.3.2.2: the will waits for its delay or the end of the session, whichever
    // comes first (end_session publishes it then).
    session.rare_for_update().will_at =
        clock_.steady() + std::chrono::seconds(std::min(delay, session.expiry_interval));
  } else {
    publish_will(session);
  }
  if (session.expiry_interval == 0) {
    end_session(session);
  } else {
    if (session.expiry_interval != Session::kNever) {
      session.expires_at = clock_.steady() + std::chrono::seconds(session.expiry_interval);
    }
    persist_row(session);
  }
}

void Broker::publish_will(Session& session) {
  if (!session.will) return;
  if (session.has_rare_state()) session.rare_for_update().will_at.reset();
  session.release_rare_if_empty();
  auto will = std::move(*session.will);
  session.will.reset();
  persist_row(session);
  auto message = std::make_shared<Message>();
  message->topic = will.topic.str();
  message->payload = std::move(will.payload);
  message->qos = std::min(will.qos, options_.maximum_qos);
  message->retain = will.retain && options_.retain_available;
  message->props = std::move(will.props);
  ++stats_.messages_received;
  if (is_sys_topic(message->topic)) {
    ++stats_.sys_publish_refused;
    log_->info("client '{}': will to '{}' refused: $SYS/ is the broker's, not published",
               session.client_id, message->topic);
    return;
  }
  if (!acl_.allows(principal(session), auth::Access::Publish, message->topic)) {
    ++stats_.acl_denied_publish;
    log_->info("client '{}': will to '{}' not authorised by the ACL, not published",
               session.client_id, message->topic);
    return;
  }
  note_size(*message);  // a will restored from disk may predate a lower max_packet_size
  route(message, session.id);
}

void Broker::end_session(Session& session) {
  // MQTT 5 §3.1.3.2.2: a will still waiting out its delay is sent when the session ends.
  publish_will(session);
  if (const auto lost = session.queue.size() + session.inflight.size(); lost > 0) {
    stats_.dropped_session_ended += lost;
    log_->info("client '{}': session ended with {} undelivered messages", session.client_id, lost);
  }
  persist_ended(session);
  tree_.remove_all(session.id);
  by_subscriber_.erase(session.id);
  sessions_.erase(sessions_.find(session.client_id));  // destroys `session` and its key
}

void Broker::start_ticking() {
  tick_timer_.expires_after(kTickInterval);
  tick_timer_.async_wait([this](std::error_code ec) {
    if (ec) return;
    tick();
    start_ticking();
  });
}

void Broker::tick() {
  const auto now = clock_.steady();
  // A check may close a client, which unregisters it: walk() copes.
  clients_.walk([now](Client& c) { c.on_tick(now); });
  tick_sessions_.clear();
  for (auto& [client_id, session] : sessions_) {
    if (session->client != nullptr) {
      // Work held back while the client was not reading goes out once it reads again.
      if (!session->queue.empty() || session->unsent > 0) pump(*session);
      continue;
    }
    if ((session->rare().will_at && *session->rare().will_at <= now) ||
        (session->expires_at && *session->expires_at <= now)) {
      tick_sessions_.emplace_back(client_id);
    }
  }
  for (const auto& client_id : tick_sessions_) {
    auto it = sessions_.find(client_id);
    if (it == sessions_.end()) continue;
    Session& session = *it->second;
    if (session.rare().will_at && *session.rare().will_at <= now) publish_will(session);
    if (session.expires_at && *session.expires_at <= now) {
      log_->debug("client '{}': session expired", client_id);
      end_session(session);
    }
  }
  for (auto& [owner, gauge] : local_gauges_) check_local_backlog(owner, gauge, now, true);
  if (const auto next = retained_.next_expiry(); next && *next <= now) retained_.purge_expired(now);
  flush_journal(/*force=*/false);
  flush_limit_log(now);
}

std::string Broker::check_invariants() const {
  if (stats_.connections_current != clients_.size()) {
    return fmt::format("connections_current {} but {} clients", stats_.connections_current,
                       clients_.size());
  }
  if (by_subscriber_.size() != sessions_.size()) return "by_subscriber_ and sessions_ differ";
  for (const auto& entry : sessions_) {
    const Session& session = *entry.second;
    const auto fail = [&](std::string_view what) {
      return fmt::format("session '{}': {}", entry.first, what);
    };
    if (session.client_id != entry.first) return fail("filed under another client id");
    if (by_subscriber_.find(session.id) != &session) {
      return fail("not in by_subscriber_");
    }
    if (session.client != nullptr &&
        (!clients_.contains(session.client) || session.client->session() != &session)) {
      return fail("attached to a client that does not know it");
    }
    std::size_t unsent = 0;
    for (const auto& [id, e] : session.inflight) {
      if (id == 0) return fail("packet id 0 in flight");
      if (e.unsent) ++unsent;
    }
    if (unsent != session.unsent) return fail("unsent count is off");
    if (sent_in_flight(session) > options_.max_inflight) return fail("more than max_inflight sent");
    if (session.queue.size() > options_.max_queued_messages) return fail("queue over max_queued_messages");
    std::size_t bytes = 0;
    for (const auto& out : session.queue) bytes += RetainedStore::message_bytes(*out.message);
    if (bytes != session.queued_bytes) return fail("queued_bytes is off");
    if (tree_.subscription_count(session.id) > options_.max_subscriptions_per_client) {
      return fail("more subscriptions than max_subscriptions_per_client");
    }
  }
  return check_backpressure_invariants();
}

std::string Broker::assign_client_id() {
  for (;;) {
    auto id = fmt::format("eg-{:016x}", rng_());
    if (!sessions_.contains(id)) return id;
  }
}

}  // namespace gw::broker
