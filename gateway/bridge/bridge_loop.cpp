#include "gateway/bridge/bridge_loop.hpp"

#include <algorithm>
#include <iterator>
#include <random>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "broker/protocol/codec.hpp"
#include "core/mqtt_errc.hpp"
#include "gateway/bridge/outbox_errc.hpp"
#include "gateway/bridge/paho_errc.hpp"

namespace gw::bridge {

namespace {

using namespace std::chrono_literals;

constexpr auto kStatsInterval = 100ms;
constexpr auto kExpireInterval = 1s;
constexpr auto kLogInterval = 10s;     // rate limit of repeating warnings
constexpr auto kRefusalHold = 1s;      // pause after the remote refused a PUBLISH (retryable)
constexpr auto kPahoRetry = 10ms;      // pause after Paho refused a send
constexpr std::size_t kRetired = 8;     // Uplink contexts kept after destruction
constexpr std::size_t kRowsPerRound = 4096;  // outbox rows one pump() looks at, at most
constexpr std::size_t kRateBatch = 16;  // rows fetched at a time when rate-limited

// A round of PUBLISHes leaves in one write when it ends (UplinkClient::hold_sends), if the link is
// still the one held: a link dropped meanwhile is gone with what it held.
class SendRound {
 public:
  explicit SendRound(const std::unique_ptr<UplinkClient>& link) : link_(link), held_(link.get()) {
    if (held_ != nullptr) held_->hold_sends();
  }
  ~SendRound() {
    if (held_ != nullptr && link_.get() == held_) held_->release_sends();
  }
  SendRound(const SendRound&) = delete;
  SendRound& operator=(const SendRound&) = delete;

 private:
  const std::unique_ptr<UplinkClient>& link_;
  UplinkClient* const held_;
};

constexpr const char* kOnline = R"({"status":"online"})";
constexpr const char* kOffline = R"({"status":"offline"})";

const char* qos_name(QoS q) {
  switch (q) {
    case QoS::AtMostOnce: return "0";
    case QoS::AtLeastOnce: return "1";
    case QoS::ExactlyOnce: return "2";
  }
  return "?";
}

// PUBACK / PUBREC reasons that will not change if the message is sent again (MQTT 5 §3.4.2.1).
bool permanent_refusal(int reason) {
  switch (reason) {
    case 0x87:  // Not authorized
    case 0x90:  // Topic Name invalid
    case 0x95:  // Packet too large
    case 0x99:  // Payload format invalid
      return true;
    default: return false;
  }
}

}  // namespace

BridgeLoop::BridgeLoop(const BridgeOptions& options, core::Clock& clock,
                       std::unique_ptr<Outbox> outbox, std::shared_ptr<BridgeInbox> inbox,
                       std::shared_ptr<spdlog::logger> log)
    : options_(options),
      clock_(clock),
      outbox_(std::move(outbox)),
      inbox_(std::move(inbox)),
      log_(std::move(log)),
      client_id_(options.client_id),
      backoff_(options.reconnect_initial, options.reconnect_max),
      limiter_(options.rate.messages_per_second, options.rate.bytes_per_second, clock.steady()) {
  for (std::uint32_t i = 0; i < options_.upstream.size(); ++i) {
    route_by_name_.emplace(options_.upstream[i].name, i);
  }
  qos_cap_logged_.assign(options_.upstream.size(), false);
  // QoS 2 exchanges a previous run left unfinished: continued if the next CONNACK finds the session.
  for (const auto& e : outbox_->recovered_exchanges()) {
    unfinished_.emplace_back(e.packet_id, Exchange{.row = e.row_exists ? e.row : 0, .order = ++send_order_,
                                                   .qos = QoS::ExactlyOnce, .released = e.released,
                                                   .recorded = true});
  }
}

BridgeLoop::~BridgeLoop() { release_link(); }

BridgeStats BridgeLoop::snapshot() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

int BridgeLoop::stored_priority(const UpstreamRoute& route) const {
  // Two bands per route priority: live-first puts what arrives while connected in the upper one.
  const bool live = options_.replay == ReplayOrder::LiveFirst && state_ == State::Connected;
  return route.priority * 2 + (live ? 1 : 0);
}

void BridgeLoop::run() {
  reconnect_at_ = clock_.steady();
  BridgeInbox::Batch batch;
  for (;;) {
    const auto now = clock_.steady();
    const auto deadline = next_deadline(now);
    const auto wait = deadline > now ? deadline - now : core::Clock::duration::zero();
    inbox_->wait_and_take(std::min<core::Clock::duration>(wait, 1s), batch);

    for (const auto& item : batch.local) append(item);
    if (!batch.local.empty()) backlog_maybe_ = true;
    batch.local.clear();
    for (const auto& event : batch.events) handle(event);
    batch.events.clear();
    if (batch.stop) break;

    if (outbox_->commit_due()) flush();
    pump();
    housekeeping(clock_.steady());
  }
  shutdown();
}

BridgeLoop::time_point BridgeLoop::next_deadline(time_point now) const {
  time_point deadline = now + 1s;
  auto earlier = [&](time_point t) { deadline = std::min(deadline, t); };
  if (outbox_->has_pending()) earlier(now + std::max<core::Clock::duration>(options_.outbox.commit_window, 1ms));
  if (state_ == State::Idle) earlier(reconnect_at_);
  if (state_ == State::Connecting) earlier(connect_deadline_);
  if (state_ == State::Connected) {
    if (inflight() > 0) earlier(last_progress_ + options_.stall_timeout);
    if (backlog_maybe_ && hold_until_ > now) earlier(hold_until_);
    if (pump_again_) earlier(now);
  }
  earlier(next_stats_);
  return deadline;
}

void BridgeLoop::append(const LocalItem& item) {
  const UpstreamRoute& route = options_.upstream[item.route];
  ++counters_.received;
  auto id = outbox_->append(route.name, stored_priority(route), *item.message);
  if (!id) {
    ++counters_.append_failures;
    if (append_fail_unlogged_++ == 0 || clock_.steady() >= next_drop_log_) {
      log_->warn("route {}: outbox refused a message on {}: {} ({} refused since the last line)",
                 route.name, item.message->topic, id.error().message(), append_fail_unlogged_);
      append_fail_unlogged_ = 0;
      next_drop_log_ = clock_.steady() + kLogInterval;
    }
  }
}

void BridgeLoop::flush() {
  auto ok = outbox_->flush();
  if (!ok) log_->error("outbox commit failed: {}", ok.error().message());
}

void BridgeLoop::handle(const LinkEvent& event) {
  if (event.generation != generation_ || generation_ == 0) return;  // an old connection's news
  switch (event.kind) {
    case LinkEvent::Kind::Connected: on_connected(event); break;
    case LinkEvent::Kind::ConnectFailed: {
      ++counters_.connect_failures;
      // Paho reports a refusing CONNACK's reason code in `code` (MQTT 5 §3.2.2.2).
      const int reason = event.reason >= 0x80 ? event.reason : (event.code >= 0x80 ? event.code : 0);
      if (reason == 0x9A && will_retain_) {
        will_retain_ = false;
        log_->warn("the remote does not support retained messages: the offline will is sent without Retain");
      } else if (reason == 0x9B && will_qos_ != QoS::AtMostOnce) {
        will_qos_ = QoS::AtMostOnce;
        log_->warn("the remote refused QoS 1 for the will: the offline will is sent with QoS 0");
      } else if (reason != 0) {
        log_->warn("connect refused by the remote: reason 0x{:02x}; next attempt in <= {} ms", reason,
                   backoff_.ceiling().count());
      } else {
        log_->warn("connect failed ({}): {}; next attempt in <= {} ms", paho_error(event.code).message(),
                   event.text, backoff_.ceiling().count());
      }
      drop_link(true);
      break;
    }
    case LinkEvent::Kind::ConnectionLost:
      ++counters_.reconnects;
      log_->warn("connection to {} lost: {}; {} in flight will be sent again", limits_.server_uri,
                 event.text.empty() ? "no reason given" : event.text, inflight());
      drop_link(true);
      break;
    case LinkEvent::Kind::SendDone:
    case LinkEvent::Kind::SendFailed: on_send_result(event); break;
    case LinkEvent::Kind::Received:
      if (auto it = tokens_.find(event.token); it != tokens_.end() && !it->second.released) {
        Exchange& ex = it->second;
        ex.released = true;
        if (ex.recorded) {
          // In the group commit: lost in a crash, the PUBLISH goes again instead, which the
          // server answers with PUBREC again.
          auto ok = outbox_->record_exchange({.packet_id = static_cast<std::uint16_t>(event.token),
                                              .row = ex.row, .released = true, .row_exists = true});
          if (!ok) log_->error("outbox: recording PUBREC {} failed: {}", event.token, ok.error().message());
        }
      }
      break;
    case LinkEvent::Kind::SubscribeFailed:
      log_->warn("downstream subscribe refused: code {} reason 0x{:02x} {}", event.code, event.reason,
                 event.text);
      break;
    case LinkEvent::Kind::Disconnected: disconnected_ = true; break;
  }
}

void BridgeLoop::on_connected(const LinkEvent& event) {
  state_ = State::Connected;
  limits_ = event.limits;
  if (limits_.assigned_client_id) client_id_ = *limits_.assigned_client_id;
  backoff_.reset();
  ++counters_.connects;
  counters_.connected = true;
  counters_.server = limits_.server_uri;
  counters_.limits = limits_;
  last_progress_ = clock_.steady();
  hold_until_ = {};
  backlog_maybe_ = true;
  log_->info(
      "connected to {} (session present {}, receive maximum {}, maximum packet size {}, maximum QoS "
      "{}, retain available {}, topic alias maximum {})",
      limits_.server_uri, limits_.session_present, limits_.receive_maximum,
      limits_.max_packet_size ? std::to_string(*limits_.max_packet_size) : std::string("none"),
      qos_name(limits_.maximum_qos), limits_.retain_available, limits_.topic_alias_maximum);

  // The resumed exchanges, SUBSCRIBEs and the birth message leave in one write.
  const SendRound round(link_);
  // Before anything takes a packet identifier on the new connection.
  resume_unfinished();
  // The session may be new (Session Present 0): subscribe every time, it is idempotent.
  for (const auto& route : options_.downstream) {
    auto ok = link_->subscribe(route.remote_filter, std::min(route.qos, limits_.maximum_qos));
    if (!ok) log_->warn("downstream route {}: subscribe {} failed: {}", route.name, route.remote_filter, ok.error().message());
  }
  if (!options_.status_topic.empty()) {
    Message birth{.topic = options_.status_topic, .payload = kOnline,
                  .qos = std::min(QoS::AtLeastOnce, limits_.maximum_qos),
                  .retain = limits_.retain_available, .props = {}};
    auto token = link_->publish(birth);
    if (token && birth.qos != QoS::AtMostOnce) status_token_ = *token;
  }
}

void BridgeLoop::on_send_result(const LinkEvent& event) {
  if (status_token_ && event.token == *status_token_ && event.token != 0) {
    status_token_.reset();
    status_done_ = true;
    return;
  }
  std::uint64_t id = 0;
  bool released = false;
  if (event.token == 0) {
    if (qos0_.empty()) return;  // the status message sent at QoS 0
    id = qos0_.front();
    qos0_.pop_front();
  } else {
    auto it = tokens_.find(event.token);
    if (it == tokens_.end()) return;
    id = it->second.row;
    released = it->second.released;
    if (it->second.recorded) {
      auto ok = outbox_->forget_exchange(static_cast<std::uint16_t>(event.token));
      if (!ok) log_->error("outbox: forgetting QoS 2 exchange {} failed: {}", event.token, ok.error().message());
    }
    tokens_.erase(it);
    if (id == 0) return;  // a PUBREL that freed the identifier of a row gone meanwhile
  }
  backlog_maybe_ = true;  // a slot in the window is free again
  // After a successful PUBREC the message is the server's (MQTT 5 §4.3.3): the PUBCOMP's reason
  // can only be 0x92 (the identifier is no longer known, e.g. a resumed PUBREL it had completed).
  const bool refused =
      event.kind == LinkEvent::Kind::SendFailed || (event.reason >= 0x80 && !released);
  if (!refused) {
    auto ok = outbox_->ack(id);
    if (!ok && ok.error() != OutboxErrc::NotFound) log_->error("outbox ack {} failed: {}", id, ok.error().message());
    ++counters_.acked;
    last_progress_ = clock_.steady();
    return;
  }
  ++counters_.send_failures;
  if (permanent_refusal(event.reason)) {
    dead_letter(id, fmt::format("refused by the remote: reason 0x{:02x}", event.reason));
    return;
  }
  if (event.reason >= 0x80) {
    // Retryable (quota exceeded, server busy...): send it again, but not at once.
    log_->warn("remote refused message {} with reason 0x{:02x}; retrying", id, event.reason);
    hold_until_ = clock_.steady() + kRefusalHold;
  }
  // Paho failures (connection gone...) are followed by ConnectionLost, which releases it anyway.
  auto ok = outbox_->nack(id);
  (void)ok;  // NotFound: already released, expired or dropped
}

void BridgeLoop::keep_unfinished() {
  std::size_t qos2 = 0;
  for (auto& [token, ex] : tokens_) {
    if (resumable_link_ || ex.recorded) {
      unfinished_.emplace_back(static_cast<std::uint16_t>(token), ex);
    } else if (ex.qos == QoS::ExactlyOnce) {
      ++qos2;
    }
  }
  if (qos2 > 0) warn_unresumable(qos2);
  std::vector<std::uint64_t> keep;
  keep.reserve(unfinished_.size());
  for (const auto& [packet_id, ex] : unfinished_) {
    if (ex.row != 0) keep.push_back(ex.row);
  }
  outbox_->release_inflight(keep);
}

void BridgeLoop::warn_unresumable(std::size_t qos2) {
  if (unresumable_logged_) return;
  unresumable_logged_ = true;
  log_->warn("{} QoS 2 exchanges were unfinished when the connection ended: this MQTT client "
             "sends them again as new PUBLISHes with new packet identifiers, and a server that "
             "kept the session and still holds one of those identifiers takes a different "
             "message for its retransmission; bridge.client native continues them as the same "
             "exchanges (MQTT 5 section 4.4)",
             qos2);
}

void BridgeLoop::resume_unfinished() {
  if (unfinished_.empty()) return;
  auto unfinished = std::move(unfinished_);
  unfinished_.clear();
  std::stable_sort(unfinished.begin(), unfinished.end(),
                   [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
  if (!limits_.session_present || !link_->can_resume()) {
    // The server has no session, or this client cannot continue one: new PUBLISHes, in order.
    std::size_t recorded = 0;
    for (const auto& [packet_id, ex] : unfinished) recorded += ex.recorded ? 1 : 0;
    if (recorded > 0) {
      if (limits_.session_present) warn_unresumable(recorded);
      auto ok = outbox_->forget_exchanges();
      if (!ok) log_->error("outbox: forgetting QoS 2 exchanges failed: {}", ok.error().message());
    }
    for (const auto& [packet_id, ex] : unfinished) {
      if (ex.row != 0) (void)outbox_->nack(ex.row);  // NotFound: dropped or expired meanwhile
    }
    return;
  }
  // Every one at once, before the status message and SUBSCRIBE take identifiers of their own.
  // They were in flight together under the server's Receive Maximum; a server that lowered it
  // since may see more (logged).
  const std::size_t window =
      std::min<std::size_t>(limits_.receive_maximum == 0 ? 65535 : limits_.receive_maximum, options_.max_inflight);
  std::uint64_t resumed = 0;
  for (std::size_t i = 0; i < unfinished.size(); ++i) {
    auto& [packet_id, ex] = unfinished[i];
    if (!resume(packet_id, ex)) {
      // The connection is already gone: the rest wait for the next one.
      unfinished_.assign(std::make_move_iterator(unfinished.begin() + static_cast<std::ptrdiff_t>(i)),
                         std::make_move_iterator(unfinished.end()));
      break;
    }
    ++resumed;
  }
  if (resumed > 0) {
    counters_.resumed += resumed;
    log_->info("session resumed: {} unacknowledged exchanges continue with their packet identifiers{}",
               resumed, inflight() > window ? fmt::format(" (more than the Receive Maximum {} now allows)", window)
                                             : std::string());
  }
}

bool BridgeLoop::resume(std::uint16_t packet_id, Exchange& ex) {
  static const Message kRelease{.topic = {}, .payload = {}, .qos = QoS::ExactlyOnce, .retain = false, .props = {}};
  Message m;
  bool again = !ex.released;
  if (again) {
    // Rebuilt from its row: the remaining Message Expiry, today's route.
    const Rebuilt r = rebuild(ex, m);
    const bool allowed = ex.qos <= limits_.maximum_qos;
    if (r != Rebuilt::Ok || !allowed) {
      if (r == Rebuilt::Ok || r == Rebuilt::Error) (void)outbox_->nack(ex.row);  // sent anew
      if (ex.qos != QoS::ExactlyOnce) {
        // The server keeps nothing for a QoS 1 PUBLISH it received: nothing to finish.
        if (ex.recorded) (void)outbox_->forget_exchange(packet_id);
        return true;
      }
      // A PUBREL frees the identifier the server may hold (it answers PUBCOMP either way).
      again = false;
      ex.row = 0;
      ex.released = true;
      if (ex.recorded) {
        auto ok = outbox_->record_exchange({.packet_id = packet_id, .row = 0, .released = true, .row_exists = false});
        if (!ok) log_->error("outbox: recording QoS 2 exchange {} failed: {}", packet_id, ok.error().message());
      }
    } else {
      m.qos = ex.qos;  // the exchange's QoS, whatever the route says today
    }
  }
  auto token = link_->publish_with_id(again ? m : kRelease, packet_id,
                                      again ? UplinkClient::Attempt::Again : UplinkClient::Attempt::Release);
  if (!token) return false;
  if (again) ++counters_.sent;
  tokens_[*token] = ex;
  return true;
}

BridgeLoop::Rebuilt BridgeLoop::rebuild(const Exchange& ex, Message& out) {
  if (ex.row == 0) return Rebuilt::Gone;
  bool corrupt = false;
  auto row = outbox_->read(ex.row, corrupt);
  if (!row) {
    log_->error("outbox read of {} failed: {}", ex.row, row.error().message());
    return Rebuilt::Error;
  }
  if (corrupt) {
    dead_letter(ex.row, "corrupt row: cannot be decoded");
    return Rebuilt::Gone;
  }
  if (!*row || !prepare(**row)) return Rebuilt::Gone;  // expired, dropped or dead-lettered
  out = std::move((*row)->message);
  return Rebuilt::Ok;
}

std::uint16_t BridgeLoop::take_packet_id() {
  // Downwards, away from the client's own allocator (upwards from 1, for the status message and
  // SUBSCRIBE), from a random start: identifiers of a run whose records a power cut lost are not
  // the first ones taken again. One of ours in flight or staged is skipped.
  if (next_packet_id_ == 0) {
    std::random_device random;
    next_packet_id_ = static_cast<std::uint16_t>(1 + random() % 65535);
  }
  for (;;) {
    next_packet_id_ = next_packet_id_ <= 1 ? 65535 : static_cast<std::uint16_t>(next_packet_id_ - 1);
    if (!tokens_.contains(next_packet_id_) && !staged_ids_.contains(next_packet_id_)) return next_packet_id_;
  }
}

void BridgeLoop::dead_letter(std::uint64_t id, const std::string& reason) {
  auto ok = outbox_->dead_letter(id, reason);
  if (!ok) {
    log_->error("outbox: moving {} to the dead letters failed: {}", id, ok.error().message());
    return;
  }
  ++counters_.dead_lettered;
}

void BridgeLoop::pump() {
  pump_again_ = false;
  // unfinished_ while connected: resuming them failed, the connection is gone (ConnectionLost
  // follows); nothing new may take an identifier they hold.
  if (state_ != State::Connected || !backlog_maybe_ || !unfinished_.empty()) return;
  const auto now = clock_.steady();
  if (hold_until_ > now) return;
  const std::size_t window =
      std::min<std::size_t>(limits_.receive_maximum == 0 ? 65535 : limits_.receive_maximum, options_.max_inflight);
  bool rate_limited = false;
  // Bounded: rows that are dead-lettered or dropped instead of sent leave the window open, and a
  // whole backlog of them must not keep this thread (which also reads the link and keeps it
  // alive) from waiting; the next round comes at once (next_deadline).
  std::size_t examined = 0;
  {
    const SendRound round(link_);
    while (inflight() < window && !rate_limited) {
      if (examined >= kRowsPerRound) {
        pump_again_ = true;
        break;
      }
      std::size_t want = window - inflight();
      if (!limiter_.unlimited()) want = std::min(want, kRateBatch);
      auto rows = outbox_->next(want);
      if (!rows) {
        log_->error("outbox read failed: {}", rows.error().message());
        break;
      }
      if (rows->empty()) {
        backlog_maybe_ = false;
        break;
      }
      examined += rows->size();
      for (std::size_t i = 0; i < rows->size(); ++i) {
        if (rate_limited || state_ != State::Connected) {
          (void)outbox_->nack((*rows)[i].id);  // back in its place, sent later
          continue;
        }
        if (!send((*rows)[i], rate_limited)) {
          rate_limited = true;  // stop this round; the row was put back
        }
      }
    }
  }  // what was not staged is on the wire before the commit of what was
  publish_staged();
}

std::optional<std::size_t> BridgeLoop::prepare(StoredMessage& stored) {
  auto route_it = route_by_name_.find(stored.route);
  if (route_it == route_by_name_.end()) {
    dead_letter(stored.id, fmt::format("route {} is not configured", stored.route));
    return std::nullopt;
  }
  const std::uint32_t route_index = route_it->second;
  const UpstreamRoute& route = options_.upstream[route_index];
  Message& m = stored.message;

  auto topic = route.remote.apply(m.topic);
  if (!topic) {
    dead_letter(stored.id, fmt::format("route {}: mapped topic for {} is not a valid topic name", route.name, m.topic));
    return std::nullopt;
  }
  m.topic = std::move(*topic);
  const QoS wanted = route.qos.value_or(m.qos);
  m.qos = std::min(wanted, limits_.maximum_qos);
  if (m.qos != wanted) {
    ++counters_.qos_downgraded;
    if (!qos_cap_logged_[route_index]) {
      qos_cap_logged_[route_index] = true;
      log_->warn("route {}: the remote's Maximum QoS is {}: sending QoS {} instead of {}", route.name,
                 qos_name(limits_.maximum_qos), qos_name(m.qos), qos_name(wanted));
    }
  }
  if (route.retain == RetainMode::Clear) m.retain = false;
  if (m.retain && !limits_.retain_available) {
    m.retain = false;
    ++counters_.retain_cleared;
  }
  if (!options_.sequence_property.empty()) {
    m.props.user.push_back({options_.sequence_property, std::to_string(stored.id)});
  }

  // The server's Maximum Packet Size, or else the largest packet there is: the mapped topic and
  // the sequence property can make a message that arrived whole too large for any packet.
  const std::size_t size = broker::protocol::publish_size(m, broker::protocol::ProtocolVersion::V5);
  const std::uint32_t limit = limits_.max_packet_size.value_or(broker::protocol::kMaxPacketSize);
  if (size > limit) {
    ++counters_.oversize;
    const std::string what = limits_.max_packet_size ? fmt::format("the server's Maximum Packet Size {}", limit)
                                                     : fmt::format("the largest MQTT packet, {} bytes", limit);
    dead_letter(stored.id, fmt::format("packet of {} bytes exceeds {}", size, what));
    const auto now = clock_.steady();
    if (now >= next_oversize_log_) {
      log_->warn("route {}: message {} on {} is {} bytes, over {}: "
                 "moved to the dead letters ({} more since the last line)",
                 route.name, stored.id, m.topic, size, what, oversize_unlogged_);
      oversize_unlogged_ = 0;
      next_oversize_log_ = now + kLogInterval;
    } else {
      ++oversize_unlogged_;
    }
    return std::nullopt;
  }
  return size;
}

bool BridgeLoop::send(StoredMessage& stored, bool& rate_limited) {
  const auto prepared = prepare(stored);
  if (!prepared) return true;  // dead-lettered
  const std::size_t size = *prepared;
  Message& m = stored.message;

  const auto now = clock_.steady();
  if (!limiter_.try_take(size, now)) {
    hold_until_ = limiter_.ready_at(size, now);
    (void)outbox_->nack(stored.id);
    rate_limited = true;
    return true;
  }

  // A QoS 2 exchange is recorded, with its packet identifier, and committed before its PUBLISH
  // leaves: after a crash the server may still hold that identifier (awaiting PUBREL). So is the
  // id of a row that goes out as its sequence number: a crash must not hand that number out
  // again (write-behind may not have written it yet); one commit reserves the next ids in a
  // block. One commit per round: the PUBLISHes wait in staged_ (what follows one waits too, to
  // keep the order).
  const bool record = m.qos == QoS::ExactlyOnce && link_->can_resume();
  const bool id_durable = options_.sequence_property.empty() || outbox_->id_durable(stored.id);
  if (!record && id_durable && staged_.empty()) return transmit(stored.id, m, std::nullopt, now);
  if (staged_.empty()) staged_rollbacks_ = outbox_->rollbacks();
  if (!id_durable) outbox_->make_id_durable(stored.id);
  std::optional<std::uint16_t> packet_id;
  if (record) {
    packet_id = take_packet_id();
    auto ok = outbox_->record_exchange({.packet_id = *packet_id, .row = stored.id, .released = false, .row_exists = true});
    if (!ok) {
      log_->error("outbox: recording QoS 2 exchange {} failed: {}", *packet_id, ok.error().message());
      (void)outbox_->nack(stored.id);
      hold_until_ = now + kRefusalHold;
      return false;
    }
    staged_ids_.insert(*packet_id);
  }
  staged_.push_back(Staged{.row = stored.id, .message = std::move(m), .packet_id = packet_id});
  return true;
}

void BridgeLoop::publish_staged() {
  if (staged_.empty()) return;
  auto staged = std::move(staged_);
  staged_.clear();
  staged_ids_.clear();
  const auto now = clock_.steady();
  auto committed = outbox_->flush();
  // A rollback since the first was staged took their records (or ids) with it, and the flush
  // then had nothing left to commit.
  if (committed && outbox_->rollbacks() != staged_rollbacks_) committed = fail(std::errc::io_error);
  if (!committed) log_->error("outbox: committing before sending failed: {}", committed.error().message());
  bool stop = !committed;
  const SendRound round(link_);
  for (auto& st : staged) {
    if (stop || state_ != State::Connected) {
      if (st.packet_id) (void)outbox_->forget_exchange(*st.packet_id);
      (void)outbox_->nack(st.row);  // back in its place, sent later
      continue;
    }
    if (!transmit(st.row, st.message, st.packet_id, now)) stop = true;
  }
  if (!committed) hold_until_ = now + kRefusalHold;
}

bool BridgeLoop::transmit(std::uint64_t row, Message& m, std::optional<std::uint16_t> packet_id, time_point now) {
  auto token = packet_id ? link_->publish_with_id(m, *packet_id, UplinkClient::Attempt::First) : link_->publish(m);
  if (!token) {
    refused(row, token.error(), now);
    if (packet_id) (void)outbox_->forget_exchange(*packet_id);
    (void)outbox_->nack(row);
    // Disconnected: ConnectionLost follows. Anything else: try again shortly, not in a loop.
    hold_until_ = now + kPahoRetry;
    return false;
  }
  if (inflight() == 0) last_progress_ = now;
  if (m.qos == QoS::AtMostOnce) {
    qos0_.push_back(row);
  } else {
    tokens_[*token] = Exchange{.row = row, .order = ++send_order_, .qos = m.qos, .released = false,
                               .recorded = packet_id.has_value()};
  }
  ++counters_.sent;
  counters_.inflight_high_water = std::max<std::uint64_t>(counters_.inflight_high_water, inflight());
  return true;
}

void BridgeLoop::refused(std::uint64_t id, const std::error_code& ec, time_point now) {
  const SendRefusal reason = classify_send_refusal(ec);
  ++counters_.send_refused[reason];
  // A refusal that repeats every burst pauses the drain each time: visible, but one line per
  // interval (the first at once), not one per message.
  if (now >= next_refusal_log_) {
    log_->warn("send of message {} refused by the MQTT client ({}: {}); sent again after a pause "
               "({} more refused since the last line)",
               id, to_string(reason), ec.message(), refused_unlogged_);
    refused_unlogged_ = 0;
    next_refusal_log_ = now + kLogInterval;
  } else {
    ++refused_unlogged_;
  }
}

void BridgeLoop::connect() {
  generation_ = ++last_generation_;
  auto link = make_uplink_client(options_, client_id_, generation_, inbox_);
  if (!link) {
    log_->error("cannot create the MQTT client: {}", link.error().message());
    generation_ = 0;
    reconnect_at_ = clock_.steady() + backoff_.next();
    return;
  }
  link_ = std::move(*link);
  inbox_->set_driver(link_->driver());
  resumable_link_ = link_->can_resume();
  auto ok = link_->connect(will_qos_, will_retain_);
  if (!ok) {
    log_->error("connect request refused: {}", ok.error().message());
    drop_link(true);
    return;
  }
  state_ = State::Connecting;
  // Paho times out each server itself; this only guards against a callback that never comes.
  connect_deadline_ = clock_.steady() + options_.connect_timeout * static_cast<int>(options_.servers.size() + 1);
}

void BridgeLoop::release_link() {
  if (!link_) return;
  inbox_->set_driver(nullptr);
  retired_.push_back(link_->callback_context());
  if (retired_.size() > kRetired) retired_.pop_front();
  // Paho may call back (onFailure for pending requests) from inside destroy: those events
  // carry the old generation and are ignored.
  link_.reset();
}

void BridgeLoop::drop_link(bool reconnect) {
  release_link();
  generation_ = 0;
  state_ = State::Idle;
  counters_.connected = false;
  counters_.server.clear();
  keep_unfinished();
  tokens_.clear();
  qos0_.clear();
  status_token_.reset();
  backlog_maybe_ = true;
  if (reconnect) reconnect_at_ = clock_.steady() + backoff_.next();
}

void BridgeLoop::housekeeping(time_point now) {
  if (state_ == State::Idle && now >= reconnect_at_) connect();
  if (state_ == State::Connecting && now >= connect_deadline_) {
    ++counters_.connect_failures;
    log_->warn("connect got no answer in time; retrying");
    drop_link(true);
  }
  if (state_ == State::Connected && inflight() > 0 && now - last_progress_ >= options_.stall_timeout) {
    ++counters_.stalls;
    ++counters_.reconnects;
    log_->warn("no acknowledgement from {} for {} ms with {} in flight: recycling the connection",
               limits_.server_uri,
               std::chrono::duration_cast<std::chrono::milliseconds>(now - last_progress_).count(), inflight());
    drop_link(true);
  }
  if (now >= next_expire_) {
    next_expire_ = now + kExpireInterval;
    auto gone = outbox_->expire();
    if (!gone) log_->error("outbox expire failed: {}", gone.error().message());
  }
  publish_stats(now, false);
}

void BridgeLoop::publish_stats(time_point now, bool force) {
  // Counters every pass (a copy); the outbox gauges (a query) at most every kStatsInterval.
  const bool refresh = force || now >= next_stats_;
  if (refresh) next_stats_ = now + kStatsInterval;
  auto outbox = refresh ? outbox_->stats() : Result<OutboxStats>(counters_.outbox);
  if (refresh && outbox) {
    counters_.outbox = *outbox;
    // One line per drop reason per interval, not one per message.
    if (now >= next_drop_log_ || force) {
      for (std::size_t r = 0; r < kDropReasonCount; ++r) {
        const auto reason = static_cast<DropReason>(r);
        const std::uint64_t delta = outbox->drops[reason] - logged_drops_[reason];
        if (delta > 0) {
          log_->warn("outbox gave up {} message(s): {} (backlog {} rows, {} bytes)", delta,
                     to_string(reason), outbox->rows, outbox->bytes);
          next_drop_log_ = now + kLogInterval;
        }
      }
      logged_drops_ = outbox->drops;
    }
  }
  counters_.inflight = inflight();
  std::lock_guard lock(snapshot_mu_);
  snapshot_ = counters_;
}

template <class Pred>
void BridgeLoop::wait_events(Pred done, time_point deadline) {
  BridgeInbox::Batch batch;
  while (!done()) {
    const auto now = clock_.steady();
    if (now >= deadline) return;
    inbox_->wait_and_take(std::min<core::Clock::duration>(deadline - now, 100ms), batch);
    for (const auto& item : batch.local) append(item);  // queued before the stop
    batch.local.clear();
    for (const auto& event : batch.events) handle(event);
    batch.events.clear();
    if (state_ != State::Connected) return;
  }
}

void BridgeLoop::shutdown() {
  const auto deadline = clock_.steady() + options_.stop_timeout;
  flush();
  if (state_ == State::Connected) {
    // Acknowledgements still due for what is in flight, then the offline status.
    wait_events([this] { return inflight() == 0; }, clock_.steady() + options_.stop_timeout / 2);
    if (state_ == State::Connected && !options_.status_topic.empty()) {
      status_done_ = false;
      Message offline{.topic = options_.status_topic, .payload = kOffline,
                      .qos = std::min(QoS::AtLeastOnce, limits_.maximum_qos),
                      .retain = limits_.retain_available, .props = {}};
      auto token = link_->publish(offline);
      if (token && offline.qos != QoS::AtMostOnce) {
        status_token_ = *token;
        wait_events([this] { return status_done_; }, deadline);
      }
    }
    if (state_ == State::Connected) {
      disconnected_ = false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.steady());
      const auto grace = std::max(left, std::chrono::milliseconds(100));
      if (link_->disconnect(grace)) {
        // At least the grace, even past the deadline: a native link writes the DISCONNECT only
        // while this thread waits, and without it the server publishes our will.
        wait_events([this] { return disconnected_; }, std::max(deadline, clock_.steady() + grace));
      }
    }
  }
  release_link();
  generation_ = 0;
  state_ = State::Idle;
  counters_.connected = false;
  counters_.server.clear();
  tokens_.clear();
  qos0_.clear();
  flush();
  publish_stats(clock_.steady(), true);
  log_->info("stopped: {} sent, {} acknowledged, {} left in the outbox", counters_.sent, counters_.acked,
             counters_.outbox.rows);
}

}  // namespace gw::bridge
