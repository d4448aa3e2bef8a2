// bridge::BridgeLoop: everything the bridge thread does (see Bridge for the whole picture): it owns
// the Outbox and the current Uplink, appends local messages, commits in groups, sends in outbox
// order within the send window and the rate limit, maps acknowledgements back to rows, reconnects
// with backoff and recycles a stalled connection.
//
// Ownership: owns the Outbox and the Uplink; shares the inbox; borrows options and clock, which
// must outlive it (the Bridge owns both).
// Thread safety: run() on the bridge thread only; snapshot() from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <spdlog/logger.h>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.hpp"
#include "gateway/bridge/backoff.hpp"
#include "gateway/bridge/bridge_inbox.hpp"
#include "gateway/bridge/bridge_options.hpp"
#include "gateway/bridge/bridge_stats.hpp"
#include "gateway/bridge/outbox.hpp"
#include "gateway/bridge/rate_limiter.hpp"
#include "gateway/bridge/uplink_client.hpp"

namespace gw::bridge {

class BridgeLoop {
 public:
  BridgeLoop(const BridgeOptions& options, core::Clock& clock, std::unique_ptr<Outbox> outbox,
             std::shared_ptr<BridgeInbox> inbox, std::shared_ptr<spdlog::logger> log);
  ~BridgeLoop();
  BridgeLoop(const BridgeLoop&) = delete;
  BridgeLoop& operator=(const BridgeLoop&) = delete;

  // The bridge thread's body: returns once the inbox asked to stop and the shutdown is done.
  void run();
  [[nodiscard]] BridgeStats snapshot() const;

 private:
  using time_point = core::Clock::time_point;
  enum class State : std::uint8_t { Idle, Connecting, Connected };

  void append(const LocalItem& item);
  void handle(const LinkEvent& event);
  void on_connected(const LinkEvent& event);
  void on_send_result(const LinkEvent& event);
  // On CONNACK: continues the unfinished exchanges if the session was resumed, else makes their
  // rows sendable again in their places.
  void resume_unfinished();
  // On the end of a connection: keeps what resume_unfinished() needs, releases the rest.
  void keep_unfinished();
  void warn_unresumable(std::size_t qos2);
  struct Exchange;
  // Continues one exchange on the new connection; false when the client refused (not connected).
  bool resume(std::uint16_t packet_id, Exchange& ex);
  enum class Rebuilt : std::uint8_t { Ok, Gone, Corrupt, Error };
  // The exchange's PUBLISH from its row, as send() would make it (Gone: expired, dropped or
  // dead-lettered meanwhile; Error: the read failed).
  Rebuilt rebuild(const Exchange& ex, Message& out);
  // Commits the QoS 2 records of this round, then sends what waited for them.
  void publish_staged();
  // Hands one PUBLISH to the client (with `packet_id`: a recorded QoS 2 exchange); false when the
  // client refused it (the row is made sendable again).
  bool transmit(std::uint64_t row, Message& m, std::optional<std::uint16_t> packet_id, time_point now);
  // A packet identifier for a recorded QoS 2 exchange, not one of ours in flight.
  std::uint16_t take_packet_id();
  void flush();
  void pump();
  // Applies the route and the remote's limits to the row's message (topic mapping, QoS, retain,
  // sequence property) and checks its size; nullopt when the row went to the dead letters.
  std::optional<std::size_t> prepare(StoredMessage& stored);
  // Sends one row; false when the link refused it (the row is made sendable again).
  bool send(StoredMessage& stored, bool& rate_limited);
  // Counts (and logs, rate-limited) a send the client library refused with `ec`.
  void refused(std::uint64_t id, const std::error_code& ec, time_point now);
  void dead_letter(std::uint64_t id, const std::string& reason);
  void connect();
  // Forgets the link (and its driver in the inbox), keeping its callback context.
  void release_link();
  // Ends the current connection (if any): releases what was in flight, schedules a reconnect.
  void drop_link(bool reconnect);
  void housekeeping(time_point now);
  void publish_stats(time_point now, bool force);
  [[nodiscard]] time_point next_deadline(time_point now) const;
  void shutdown();
  // Processes events until `done` or `deadline` (shutdown only).
  template <class Pred>
  void wait_events(Pred done, time_point deadline);
  // The birth/offline status counts too: it takes a slot of the server's Receive Maximum.
  [[nodiscard]] std::uint64_t inflight() const {
    return tokens_.size() + qos0_.size() + staged_.size() + (status_token_ ? 1 : 0);
  }
  [[nodiscard]] int stored_priority(const UpstreamRoute& route) const;

  const BridgeOptions& options_;
  core::Clock& clock_;
  std::unique_ptr<Outbox> outbox_;
  std::shared_ptr<BridgeInbox> inbox_;
  std::shared_ptr<spdlog::logger> log_;

  std::unordered_map<std::string, std::uint32_t> route_by_name_;
  std::vector<bool> qos_cap_logged_;  // per upstream route

  // The link.
  State state_ = State::Idle;
  std::unique_ptr<UplinkClient> link_;
  std::uint64_t generation_ = 0;  // of link_; 0 = none
  std::uint64_t last_generation_ = 0;
  std::string client_id_;
  ServerLimits limits_;
  // Contexts of destroyed links: a Paho callback may still be returning through one.
  std::deque<std::shared_ptr<const void>> retired_;
  // The offline will, lowered when a CONNACK refuses it (MQTT 5 §3.2.2.2: 0x9A, 0x9B).
  QoS will_qos_ = QoS::AtLeastOnce;
  bool will_retain_ = true;
  time_point reconnect_at_{};
  time_point connect_deadline_{};
  Backoff backoff_;

  // Sending.
  // A QoS 1/2 PUBLISH waiting for its acknowledgement. With a client that can resume, a
  // reconnect that finds the session continues it as the same exchange (UplinkClient::
  // publish_with_id), rebuilt from its row, so the server never takes a new message for a
  // retransmission of an old one that still holds the same packet identifier.
  struct Exchange {
    std::uint64_t row = 0;     // outbox id; 0: none (a PUBREL that only frees the identifier)
    std::uint64_t order = 0;   // send order
    QoS qos = QoS::AtLeastOnce;
    bool released = false;     // the server answered PUBREC: PUBREL is what goes again
    bool recorded = false;     // in the outbox's exchanges (QoS 2 with a client that can resume)
  };
  std::unordered_map<int, Exchange> tokens_;  // QoS 1/2 token → exchange
  // The exchanges of the connection that ended, by packet identifier, until a CONNACK says
  // whether the session was resumed. Their rows stay in flight in the outbox meanwhile.
  std::vector<std::pair<std::uint16_t, Exchange>> unfinished_;
  std::uint64_t send_order_ = 0;
  std::uint16_t next_packet_id_ = 0;  // take_packet_id(); 0: not started
  bool unresumable_logged_ = false;
  bool resumable_link_ = false;  // the current (or last) client can_resume()
  // PUBLISHes of this pump round waiting for the commit of their QoS 2 records, in send order.
  struct Staged {
    std::uint64_t row = 0;
    Message message;
    std::optional<std::uint16_t> packet_id;  // recorded QoS 2
  };
  std::vector<Staged> staged_;
  std::unordered_set<std::uint16_t> staged_ids_;
  std::uint64_t staged_rollbacks_ = 0;  // outbox rollbacks() when the first was staged
  std::deque<std::uint64_t> qos0_;                 // QoS 0 ids, in send order
  std::optional<int> status_token_;                // the birth / offline status PUBLISH
  bool status_done_ = false;
  bool disconnected_ = false;
  time_point last_progress_{};
  time_point hold_until_{};  // no sending before (rate limit, remote refusal)
  RateLimiter limiter_;
  bool backlog_maybe_ = true;  // the outbox may have sendable rows
  bool pump_again_ = false;    // the last pump() stopped at kRowsPerRound with the window open

  // Housekeeping.
  time_point next_expire_{};
  time_point next_stats_{};
  time_point next_drop_log_{};
  time_point next_oversize_log_{};
  std::uint64_t oversize_unlogged_ = 0;
  std::uint64_t append_fail_unlogged_ = 0;
  DropCounts logged_drops_;
  time_point next_refusal_log_{};
  std::uint64_t refused_unlogged_ = 0;

  BridgeStats counters_;  // bridge thread's working copy
  mutable std::mutex snapshot_mu_;  // guards: snapshot_
  BridgeStats snapshot_;
};

}  // namespace gw::bridge
