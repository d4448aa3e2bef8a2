// broker::Broker: the MQTT 3.1.1 / 5.0 broker core. Owns the sessions, the subscription index and
// the retained messages; accepts connections from any transport; routes every message published
// by a client or by the in-process API (adapters, the bridge) to the matching sessions.
//
// Connection-level rules live in Client; session-level rules (client identifiers, takeover,
// Clean Start and Session Expiry, QoS 1/2 delivery and flow control, queues, wills, retained
// messages, subscriptions) live here.
//
// Ownership: owns every Session. Clients belong to their transports and register here on CONNECT.
// Thread safety: core thread only — everything reaches it by asio::post on its io_context.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>
#include <spdlog/logger.h>

#include "broker/auth/authenticator.hpp"
#include "broker/broker_stats.hpp"
#include "broker/client.hpp"
#include "broker/client_list.hpp"
#include "broker/connect_rate_limiter.hpp"
#include "broker/limit_log.hpp"
#include "broker/listener_slot.hpp"
#include "broker/options.hpp"
#include "broker/persistence/journal.hpp"
#include "broker/persistence/state_store.hpp"
#include "broker/protocol/packet.hpp"
#include "broker/retained_store.hpp"
#include "broker/session.hpp"
#include "broker/session_index.hpp"
#include "broker/subscription_aggregator.hpp"
#include "broker/topic_tree.hpp"
#include "core/clock.hpp"

namespace gw::broker {

class Broker {
 public:
  Broker(asio::io_context& io, BrokerOptions options, core::Clock& clock);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // A handler for a new connection on `transport`; nullptr when max_connections is reached,
  // over all listeners or on `listener` (the caller closes the transport). `listener` (may be
  // null) is the accepting listener's slot, held by the connection until it is gone. A source
  // address over max_connect_rate is accepted here and refused at CONNECT (CONNACK 0x9F).
  std::unique_ptr<net::StreamHandler> accept(net::Transport& transport,
                                             std::shared_ptr<ListenerSlot> listener = nullptr);

  // Ends every connection for a server shutdown: MQTT 5 clients get DISCONNECT 0x8B. Stops
  // the deadline checks. Sessions stay as they are (persistence is a later step).
  void shutdown();

  // Checks every deadline against the clock: keep-alive and connect timeouts, Will Delay,
  // Session Expiry, retained Message Expiry. Runs every kTickInterval on the io_context; tests
  // with a FakeClock call it directly after advancing the clock.
  void tick();
  static constexpr std::chrono::milliseconds kTickInterval{100};

  // In-process publish (adapters, the bridge, $SYS): routed like a client's PUBLISH, with no
  // publishing session (No Local never applies). A topic that is not a valid topic name is
  // refused with a log line. LocalClient is the richer interface, and checks what this one
  // assumes: every string property at most 65,535 bytes, as MQTT's strings.
  void publish(Message message);

  // --- called by LocalClient (see local_client.hpp) ---
  using LocalHandler = std::function<void(const std::shared_ptr<const Message>&)>;
  SubscriberId add_local_subscriber();
  void remove_local_subscriber(SubscriberId id);
  void subscribe_local(SubscriberId id, const protocol::TopicFilter& filter, LocalHandler handler,
                       bool no_local, bool send_retained);
  bool unsubscribe_local(SubscriberId id, std::string_view filter);
  // `topic` already validated.
  void publish_local(Message message, SubscriberId from);
  // Back-pressure for an in-process subscriber with a queue of its own (broker/backpressure.hpp):
  // null removes it and resumes the publishers waiting on it.
  void set_local_backlog(SubscriberId owner, std::shared_ptr<LocalBacklog> backlog);
  // The backlog's consumer took from it: publishers resume once it is under low water.
  void on_local_backlog_progress(SubscriberId owner);

  [[nodiscard]] const BrokerOptions& options() const { return options_; }

  // Users for password authentication (from options().password_file, loaded by the caller; again
  // on reload). Until the first call every client is anonymous.
  void set_users(auth::PasswordTable users);
  [[nodiscard]] const auth::Authenticator* authenticator() const { return auth_.get(); }
  [[nodiscard]] const BrokerStats& stats() const { return stats_; }
  // --- called by the TLS listeners (server.cpp) ---
  // A TLS handshake failed: counted, and logged with OpenSSL's reason (rate-limited).
  void on_tls_handshake_failed(const std::string& peer, const std::string& reason);
  // A certificate reload failed and the listener kept its previous files: counted.
  void on_tls_reload_failed() { ++stats_.tls_reload_failures; }
  [[nodiscard]] core::Clock& clock() const { return clock_; }
  [[nodiscard]] spdlog::logger& log() const { return *log_; }
  [[nodiscard]] std::size_t session_count() const { return sessions_.size(); }
  // The session of `client_id`, or null (tests and diagnostics; not kept across calls).
  [[nodiscard]] const Session* find_session(std::string_view client_id) const {
    auto it = sessions_.find(client_id);
    return it == sessions_.end() ? nullptr : it->second.get();
  }
  // For $SYS and metrics: retained messages stored, subscriptions of clients and in-process
  // subscribers (a shared subscription counts once per member).
  [[nodiscard]] std::size_t retained_count() const { return retained_.size(); }
  [[nodiscard]] std::size_t subscription_count() const { return tree_.size(); }
  // Scratch for encoding one packet, shared by all connections (core thread only): the bytes are
  // copied into the connection's write queue at once, so no connection keeps a buffer of its own.
  [[nodiscard]] std::vector<std::byte>& encode_buffer() { return encode_buffer_; }
  // Whether a copy of a message on its way to a client may be larger than any packet can be:
  // a copy carries its whole topic where the PUBLISH had a Topic Alias, and one Subscription
  // Identifier per matching subscription. Only messages near the protocol's limit can, so only
  // a max_packet_size near it (or such a message published in-process) makes Client measure
  // every copy it sends to a client that announced no Maximum Packet Size of its own.
  [[nodiscard]] bool copies_may_outgrow_packets() const { return copies_may_outgrow_packets_; }

  // --- called by Client ---
  void on_connect(Client& client, protocol::Connect&& connect);
  // A client's PUBLISH that passed the connection checks (topic alias resolved).
  void on_publish(Client& client, protocol::Publish&& publish);
  void on_subscribe(Client& client, protocol::Subscribe&& subscribe);
  void on_unsubscribe(Client& client, protocol::Unsubscribe&& unsubscribe);
  void on_puback(Client& client, const protocol::Puback& ack);
  void on_pubrec(Client& client, const protocol::Pubrec& rec);
  void on_pubrel(Client& client, const protocol::Pubrel& rel);
  void on_pubcomp(Client& client, const protocol::Pubcomp& comp);
  // A client DISCONNECT: `publish_will` only for reason 0x04; `session_expiry` when the
  // DISCONNECT changes it (MQTT 5 §3.14.2.2.2). Returns false for a protocol error.
  bool on_disconnect(Client& client, const protocol::Disconnect& disconnect);
  // The connection ended (closed by either side): detach it from `session` (the one it was
  // attached to), publish the will if it still stands, and start the session's expiry (which
  // may end the session at once). Called once per connection, by the Client.
  void on_client_closed(Client& client, Session& session);
  // The connection is gone for good (from Client::on_closed).
  void on_client_gone(Client& client);
  void count_protocol_error() { ++stats_.protocol_errors; }
  // MQTT 5 enhanced authentication (broker_enhanced_auth.cpp): an AUTH from a client that named
  // an Authentication Method in CONNECT, and a packet that breaks the exchange's rules.
  void on_auth(Client& client, protocol::Auth&& auth);
  void on_auth_protocol_error(Client& client, std::string_view why);
  void count_bytes_received(std::size_t n) { stats_.bytes_received += n; }
  void count_bytes_sent(std::size_t n) { stats_.bytes_sent += n; }
  // Back-pressure (broker_backpressure.cpp, broker/backpressure.hpp). `subscriber` wrote or
  // received something: publishers waiting on it resume once it is under the low-water mark.
  void on_subscriber_progress(Client& subscriber);
  // From the client's tick: the stuck check (no progress for max_backpressure_wait), and the
  // limit on how long the client is paused as a publisher (half its Keep Alive).
  void check_backpressure(Client& client, std::chrono::steady_clock::time_point now);
  // The connection stops: it no longer waits on anyone, and nobody waits on it.
  void forget_backpressure(Client& client);
  // `publisher` waits on nobody any more (network or in-process subscribers); its reading is
  // not changed here.
  void stop_waiting(Client& publisher);
  // `publisher` has been paused for half its Keep Alive: the network subscribers it waits on
  // are stuck (in-process backlogs are not, see broker_backpressure.cpp).
  void limit_pause(Client& publisher, std::chrono::steady_clock::time_point now);

  // --- called for WebSocket listeners (see Server) ---
  // Counts a refused upgrade request (`handshake`) or a connection closed for a frame that breaks
  // RFC 6455, and logs it rate-limited with the peer and reason.
  void on_websocket_failure(bool handshake, const std::string& peer, std::string_view why);

  // --- persistence (broker/persistence/, docs/operations.md) ---
  // Restores `state` (kept sessions with their subscriptions, queued and in-flight messages and
  // wills; retained messages), with the time spent down counted against every Session Expiry,
  // Message Expiry and Will Delay, and from then on writes every change behind to `store`: one
  // batch per `flush_interval`, on tick(). Call once, before any client connects. `store` must
  // outlive the broker or a later flush_persistence().
  void enable_persistence(persistence::StateStore& store, persistence::PersistedState state,
                          std::chrono::milliseconds flush_interval);
  // Hands every pending change to the store now and waits until it is written (clean shutdown).
  void flush_persistence();
  [[nodiscard]] const persistence::Journal& journal() const { return journal_; }

  // What is inconsistent in the broker's bookkeeping (session tables, in-flight and queue
  // accounting, the limits in force), or empty when everything holds. Linear in the broker's
  // state: for tests and the session fuzzer, not for the data path.
  [[nodiscard]] std::string check_invariants() const;

 private:
  // A message that did not come in a client's PUBLISH (which max_packet_size bounds), or the
  // size of packets that may arrive: from one large enough on, every copy to a client is
  // measured (copies_may_outgrow_packets()).
  void note_size(const Message& message);
  void note_size(std::uint64_t packet_size);
  // Stores it if retained and hands a copy to every matching session; returns how many.
  std::size_t route(const std::shared_ptr<const Message>& message, std::optional<SubscriberId> from);
  // Sends or queues `out` for `session`; false when the ACL withholds it (it does not count as
  // received by that subscriber, so a publisher may hear "no matching subscribers").
  bool deliver(Session& session, OutgoingMessage out);
  void enqueue(Session& session, OutgoingMessage out);  // bounded: drops the oldest, counted
  void start_inflight(Session& session, OutgoingMessage out);
  [[nodiscard]] std::size_t quota(const Session& session) const;
  void pump(Session& session);  // send queued messages while the client has quota
  enum class SendOutcome : std::uint8_t {
    Sent,
    Dropped,  // expired or too large for the client: counted, never to be sent
    Unsent,   // the client cannot take it now (gone, or not reading): keep it
  };
  // `resend`: delivery started on an earlier connection (DUP, and expiry no longer applies).
  SendOutcome send_publish(Session& session, const OutgoingMessage& out,
                           std::optional<protocol::PacketId> id, bool resend = false);
  static std::size_t sent_in_flight(const Session& session);
  // The unsent in-flight entry sent first originally; precondition: session.unsent > 0.
  static std::map<std::uint16_t, Inflight>::iterator first_unsent(Session& session);
  void resume(Session& session);  // after CONNECT with Session Present: resend in-flight
  void publish_will(Session& session);
  void end_session(Session& session);
  void start_ticking();
  // `verified`: the user name was checked against the password file.
  void finish_connect(Client& client, protocol::Connect&& connect, bool verified);
  // The fake-salt key from options_.scram_salt_key_file (created there when missing); empty when
  // there is none or it cannot be kept (warned). Reads and may write the file.
  [[nodiscard]] std::string load_salt_key() const;
  // `sys`: a PUBLISH into $SYS/ (broker/sys_topic.hpp) rather than one the ACL refused.
  void refuse_publish(Client& client, Session& session, const protocol::Publish& publish,
                      bool sys = false);
  void refuse_topic(Client& client, Session& session, const protocol::Publish& publish,
                    LimitKind over);
  void on_authenticated(std::uint64_t ticket, protocol::Connect&& connect,
                        auth::Authenticator::Outcome outcome);
  [[nodiscard]] bool anonymous_allowed(const Client& client) const;
  // --- MQTT 5 enhanced authentication with SCRAM (broker_enhanced_auth.cpp) ---
  // CONNECT with an Authentication Method: held by the client until the exchange succeeds.
  void begin_enhanced_auth(Client& client, protocol::Connect&& connect);
  void start_scram(Client& client, std::string_view client_first);  // answers server-first
  void finish_scram(Client& client, std::string_view client_final);  // CONNACK or AUTH 0x00
  // Marks the exchange as refusing; the returned callback refuses it (0x86 / 0x87) if the
  // connection still exists.
  auth::Authenticator::Done refuse_scram_later(Client& client);
  // Sends an AUTH of the exchange, or ends the exchange with 0x95 when it is larger than the
  // client's Maximum Packet Size [MQTT-3.1.2-24].
  void send_auth(Client& client, const protocol::Auth& packet);
  // Ends the exchange: CONNACK `connack` and close while connecting, else DISCONNECT `disconnect`.
  void end_enhanced_auth(Client& client, protocol::ConnackReason connack,
                         protocol::DisconnectReason disconnect, std::string_view why);
  std::string assign_client_id();
  [[nodiscard]] std::optional<std::uint32_t> remaining_expiry(const OutgoingMessage& out) const;

  // Persistence hooks (broker_persistence.cpp); each is a no-op without a store.
  [[nodiscard]] bool persisted(const Session& session) const {
    return store_ != nullptr && session.expiry_interval > 0;
  }
  void persist_row(const Session& session);  // the session row (expiry, will, packet ids...)
  void persist_connect(Session& session, bool was_persisted);
  void persist_ended(const Session& session);
  void persist_subscription(Session& session, std::string_view filter,
                            const SubscriptionOptions& options);
  void persist_unsubscription(Session& session, std::string_view filter);
  void persist_queued(Session& session, OutgoingMessage& out);
  void persist_inflight(Session& session, std::uint16_t packet_id, Inflight& e);
  void persist_gone(const Session& session, const OutgoingMessage& out);
  void persist_retained(const std::shared_ptr<const Message>& message, RetainResult result);
  void flush_journal(bool force);
  [[nodiscard]] std::int64_t wall_ms(std::chrono::steady_clock::time_point t) const;
  [[nodiscard]] persistence::PersistedMessage message_record(Session& session, OutgoingMessage& out);
  [[nodiscard]] persistence::PersistedSession session_record(Session& session, bool full);
  [[nodiscard]] persistence::JournalBatch snapshot();
  void restore(persistence::PersistedState&& state);
  persistence::StateStore* store_ = nullptr;
  persistence::Journal journal_;
  std::chrono::milliseconds flush_interval_{1000};
  std::chrono::steady_clock::time_point next_flush_{};
  std::uint64_t next_message_key_ = 1;
  bool snapshot_due_ = false;

  asio::io_context& io_;
  BrokerOptions options_;
  core::Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  BrokerStats stats_;

  TopicTree tree_;
  RetainedStore retained_;
  SubscriptionAggregator aggregator_;
  // Keyed by a view of the Session's own client_id, so that the id is stored once.
  std::unordered_map<std::string_view, std::unique_ptr<Session>> sessions_;
  SessionIndex by_subscriber_;
  std::uint64_t next_subscriber_ = 1;
  ClientList clients_;  // every connection not yet closed
  std::unique_ptr<auth::Authenticator> auth_;
  auth::Acl acl_;
  [[nodiscard]] static auth::Principal principal(const Session& session) {
    return {.user = session.user ? std::optional<std::string_view>(*session.user) : std::nullopt,
            .client_id = session.client_id};
  }
  // Connections whose CONNECT is being verified, by ticket (a closed one is erased, so a late
  // outcome finds nothing).
  std::unordered_map<std::uint64_t, Client*> authenticating_;
  std::uint64_t next_auth_ticket_ = 1;
  std::vector<std::byte> encode_buffer_;
  bool copies_may_outgrow_packets_ = false;
  // The most subscriptions one session may hold: max_subscriptions_per_client, or more in a
  // session restored from disk when the limit was higher.
  std::uint64_t subscription_bound_ = 0;

  // In-process subscriptions: each (LocalClient, filter) is its own subscriber in the tree, so
  // every filter has its own handler. Deliveries to them are queued during routing and run after
  // it, so a handler may publish, subscribe or unsubscribe without re-entering route().
  struct LocalSubscription {
    SubscriberId owner;  // the LocalClient
    std::string filter;
    std::shared_ptr<const LocalHandler> handler;  // shared: a handler may unsubscribe itself
    bool no_local = false;
  };
  std::unordered_map<SubscriberId, LocalSubscription> local_;
  std::vector<std::pair<SubscriberId, std::shared_ptr<const Message>>> local_queue_;
  bool local_drain_posted_ = false;
  void schedule_local_drain();
  void drain_local();
  // Expires with the broker: work posted to the io_context checks it first.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  [[nodiscard]] std::optional<SubscriberId> find_local(SubscriberId owner,
                                                       std::string_view filter) const;
  asio::steady_timer tick_timer_;
  std::vector<std::string> tick_sessions_;  // scratch for tick()
  std::mt19937_64 rng_;

  // --- Limits (BrokerOptions, "Limits") ---
  ConnectRateLimiter connect_rate_;
  LimitLog limit_log_;
  // Counts a hit of `kind` and logs it, rate-limited by limit_log_.
  template <typename... Args>
  void limit_hit(LimitKind kind, fmt::format_string<Args...> what, Args&&... args);
  void flush_limit_log(std::chrono::steady_clock::time_point now);
  // The limit a topic name or filter breaks, if any: max_topic_length for `topic`, and
  // max_topic_levels for `levels` (the filter without a $share/{group}/ prefix).
  [[nodiscard]] std::optional<LimitKind> topic_over_limits(std::string_view topic,
                                                           std::string_view levels) const;

  // --- Back-pressure (broker_backpressure.cpp) ---
  // The network client whose PUBLISH is being routed, while back-pressure is on; else null.
  Client* routing_from_ = nullptr;
  // After a delivery to `session` of routing_from_'s message: pause the publisher if the
  // subscriber's backlog is over the high-water mark.
  void throttle_if_over(Session& session);
  [[nodiscard]] std::size_t backlog(const Session& session) const;
  [[nodiscard]] bool over_high_water(const Session& session) const;
  [[nodiscard]] bool under_low_water(const Session& session) const;
  // Marks it stuck and counts it; true when the count is one to log.
  bool mark_stuck(Backpressure& subscriber);
  void release_waiters(Client& subscriber, std::chrono::steady_clock::time_point now);
  [[nodiscard]] std::string check_backpressure_invariants() const;
  // In-process subscribers with a LocalBacklog, by LocalClient; `bp.waiters` are the publishers
  // paused on it (`bp.waiting_on` stays empty).
  struct LocalGauge {
    std::shared_ptr<LocalBacklog> backlog;
    Backpressure bp;
  };
  std::unordered_map<SubscriberId, LocalGauge> local_gauges_;
  [[nodiscard]] std::size_t local_backlog(const LocalGauge& gauge) const;
  void throttle_if_local_over(SubscriberId owner);
  // The low-water check; with `stuck_check` (from tick()) also the stuck one.
  void check_local_backlog(SubscriberId owner, LocalGauge& gauge,
                           std::chrono::steady_clock::time_point now, bool stuck_check);
  void release_local_waiters(SubscriberId owner, LocalGauge& gauge,
                             std::chrono::steady_clock::time_point now);
};

template <typename... Args>
void Broker::limit_hit(LimitKind kind, fmt::format_string<Args...> what, Args&&... args) {
  ++stats_.limit_hits[static_cast<std::size_t>(kind)];
  const auto held_back = limit_log_.admit(kind, clock_.steady());
  if (!held_back) return;
  const std::string text = fmt::format(what, std::forward<Args>(args)...);
  if (*held_back == 0) {
    log_->warn("limit {}: {}", to_string(kind), text);
  } else {
    log_->warn("limit {}: {} ({} more since the last report)", to_string(kind), text, *held_back);
  }
}

}  // namespace gw::broker
