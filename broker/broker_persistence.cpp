// Broker's persistence side (broker.hpp, "persistence"): the hooks that report changes to the
// journal, the flush on tick(), the full snapshot and the restore at start-up.
#include <algorithm>

#include "broker/broker.hpp"

namespace gw::broker {

using persistence::DeliveryState;
using persistence::PersistedMessage;
using persistence::PersistedSession;

namespace {

DeliveryState delivery_state(Inflight::State s) {
  switch (s) {
    case Inflight::State::AwaitPuback: return DeliveryState::AwaitPuback;
    case Inflight::State::AwaitPubrec: return DeliveryState::AwaitPubrec;
    case Inflight::State::AwaitPubcomp: return DeliveryState::AwaitPubcomp;
  }
  return DeliveryState::AwaitPuback;
}

Inflight::State inflight_state(DeliveryState s) {
  switch (s) {
    case DeliveryState::AwaitPubrec: return Inflight::State::AwaitPubrec;
    case DeliveryState::AwaitPubcomp: return Inflight::State::AwaitPubcomp;
    default: return Inflight::State::AwaitPuback;
  }
}

}  // namespace

std::int64_t Broker::wall_ms(std::chrono::steady_clock::time_point t) const {
  return clock_.wall_ms() -
         std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady() - t).count();
}

void Broker::persist_row(const Session& session) {
  if (persisted(session)) journal_.session_changed(session.client_id);
}

void Broker::persist_connect(Session& session, bool was_persisted) {
  if (store_ == nullptr) return;
  if (!persisted(session)) {
    if (was_persisted) journal_.session_ended(session.client_id);
    return;
  }
  journal_.session_changed(session.client_id);
  if (was_persisted) return;
  // Kept from now on (a session that had Session Expiry 0 resumed with more): everything it
  // holds goes to the store.
  for (const auto& [filter, options] : session.rare().subscriptions) {
    journal_.subscription_set(session.client_id, filter, options);
  }
  for (auto& out : session.queue) persist_queued(session, out);
  for (auto& [id, e] : session.inflight) persist_inflight(session, id, e);
}

void Broker::persist_ended(const Session& session) {
  if (persisted(session)) journal_.session_ended(session.client_id);
}

void Broker::persist_subscription(Session& session, std::string_view filter,
                                  const SubscriptionOptions& options) {
  if (store_ == nullptr) return;
  session.rare_for_update().subscriptions.insert_or_assign(std::string(filter), options);
  if (persisted(session)) journal_.subscription_set(session.client_id, filter, options);
}

void Broker::persist_unsubscription(Session& session, std::string_view filter) {
  if (store_ == nullptr) return;
  if (session.has_rare_state()) {
    auto& subscriptions = session.rare_for_update().subscriptions;
    if (auto it = subscriptions.find(filter); it != subscriptions.end()) subscriptions.erase(it);
    session.release_rare_if_empty();
  }
  if (persisted(session)) journal_.subscription_removed(session.client_id, filter);
}

PersistedMessage Broker::message_record(Session& session, OutgoingMessage& out) {
  (void)session;
  if (out.persist_key == 0) out.persist_key = next_message_key_++;
  return PersistedMessage{.key = out.persist_key,
                          .message = out.message,
                          .qos = out.qos,
                          .retain = out.retain,
                          .subscription_ids = out.subscription_ids,
                          .since_ms = wall_ms(out.since),
                          .state = DeliveryState::Queued,
                          .packet_id = 0,
                          .seq = 0,
                          .was_sent = false};
}

void Broker::persist_queued(Session& session, OutgoingMessage& out) {
  // QoS 0 is queued only while connected and never survives a disconnect: not stored.
  if (!persisted(session) || out.qos == QoS::AtMostOnce) return;
  const bool fresh = out.persist_key == 0;
  journal_.message_put(session.client_id, message_record(session, out), fresh);
}

void Broker::persist_inflight(Session& session, std::uint16_t packet_id, Inflight& e) {
  if (!persisted(session)) return;
  const bool fresh = e.out.persist_key == 0;
  auto record = message_record(session, e.out);
  record.state = delivery_state(e.state);
  record.packet_id = packet_id;
  record.seq = e.seq;
  record.was_sent = e.was_sent;
  journal_.message_put(session.client_id, std::move(record), fresh);
}

void Broker::persist_gone(const Session& session, const OutgoingMessage& out) {
  if (persisted(session) && out.persist_key != 0) journal_.message_removed(out.persist_key);
}

void Broker::persist_retained(const std::shared_ptr<const Message>& message, RetainResult result) {
  if (store_ == nullptr) return;
  switch (result) {
    case RetainResult::Stored:
    case RetainResult::Replaced:
      journal_.retained_set(message, clock_.wall_ms());
      return;
    case RetainResult::Deleted:
      journal_.retained_removed(message->topic);
      return;
    case RetainResult::NothingToDelete:
      return;
  }
}

PersistedSession Broker::session_record(Session& session, bool full) {
  PersistedSession row;
  row.client_id = session.client_id;
  row.user = session.user;
  row.version = session.version;
  row.expiry_interval = session.expiry_interval;
  row.connect_expiry_zero = session.connect_expiry_zero;
  row.connected = session.client != nullptr;
  if (session.expires_at) row.expires_at_ms = wall_ms(*session.expires_at);
  if (session.will) row.will = *session.will;
  if (session.rare().will_at) row.will_at_ms = wall_ms(*session.rare().will_at);
  row.last_packet_id = session.last_packet_id;
  row.next_seq = session.next_seq;
  const auto& awaiting_pubrel = session.rare().awaiting_pubrel;
  row.awaiting_pubrel.assign(awaiting_pubrel.begin(), awaiting_pubrel.end());
  std::sort(row.awaiting_pubrel.begin(), row.awaiting_pubrel.end());
  if (!full) return row;
  for (const auto& [filter, options] : session.rare().subscriptions) {
    row.subscriptions.push_back({filter, options});
  }
  for (auto& out : session.queue) {
    if (out.qos != QoS::AtMostOnce) row.messages.push_back(message_record(session, out));
  }
  for (auto& [id, e] : session.inflight) {
    auto record = message_record(session, e.out);
    record.state = delivery_state(e.state);
    record.packet_id = id;
    record.seq = e.seq;
    record.was_sent = e.was_sent;
    row.messages.push_back(std::move(record));
  }
  std::sort(row.messages.begin(), row.messages.end(),
            [](const PersistedMessage& a, const PersistedMessage& b) { return a.key < b.key; });
  return row;
}

persistence::JournalBatch Broker::snapshot() {
  persistence::JournalBatch batch;
  batch.replace_all = true;
  for (auto& [id, session] : sessions_) {
    if (persisted(*session)) batch.sessions.push_back(session_record(*session, true));
  }
  retained_.for_each([&](const RetainedMatch& m) {
    batch.retained_set.push_back({m.message, wall_ms(m.stored_at)});
  });
  return batch;
}

void Broker::flush_journal(bool force) {
  if (store_ == nullptr) return;
  const auto now = clock_.steady();
  if (!force && now < next_flush_) return;
  if (!store_->idle()) {
    // The disk is behind: keep coalescing; the journal's bound turns a long stall into one
    // snapshot later.
    if (journal_.overflowed() && !snapshot_due_) {
      snapshot_due_ = true;
      ++stats_.persist_overflows;
      log_->warn("persistence: the store is behind and {} changes are pending; a full snapshot "
                 "follows once it catches up", persistence::Journal::kDefaultMaxChanges);
    }
    return;
  }
  next_flush_ = now + flush_interval_;
  if (store_->take_failed()) snapshot_due_ = true;
  if (journal_.overflowed()) {
    if (!snapshot_due_) ++stats_.persist_overflows;
    snapshot_due_ = true;
  }
  persistence::JournalBatch batch;
  if (snapshot_due_) {
    journal_.clear();
    journal_.clear_overflow();
    snapshot_due_ = false;
    batch = snapshot();
    ++stats_.persist_snapshots;
  } else {
    if (journal_.empty()) return;
    std::set<std::string> dirty;
    batch = journal_.take(dirty);
    for (const auto& client_id : dirty) {
      auto it = sessions_.find(client_id);
      if (it != sessions_.end() && persisted(*it->second)) {
        batch.sessions.push_back(session_record(*it->second, false));
      }
    }
  }
  ++stats_.persist_batches;
  store_->submit(std::move(batch));
}

void Broker::flush_persistence() {
  if (store_ == nullptr) return;
  store_->wait_idle();
  flush_journal(true);
  store_->wait_idle();
}

void Broker::enable_persistence(persistence::StateStore& store, persistence::PersistedState state,
                                std::chrono::milliseconds flush_interval) {
  store_ = &store;
  flush_interval_ = flush_interval;
  next_flush_ = clock_.steady() + flush_interval_;
  restore(std::move(state));
}

void Broker::restore(persistence::PersistedState&& state) {
  const auto now = clock_.steady();
  const std::int64_t now_ms = clock_.wall_ms();
  // A wall time as a steady time point (in the past when it has passed).
  const auto steady_at = [&](std::int64_t ms) {
    return now + std::chrono::milliseconds(ms - now_ms);
  };
  next_message_key_ = std::max(next_message_key_, state.next_message_key);

  std::size_t sessions = 0;
  std::size_t messages = 0;
  std::size_t expired = 0;
  // What was stored under an earlier, larger max_packet_size or max_subscriptions_per_client may
  // make copies larger than any packet: every restored message is noted (note_size).
  for (const auto& row : state.sessions) {
    subscription_bound_ = std::max<std::uint64_t>(subscription_bound_, row.subscriptions.size());
  }
  note_size(options_.max_packet_size);  // clients' PUBLISHes to those sessions
  for (auto& row : state.sessions) {
    if (sessions_.contains(row.client_id) || row.expiry_interval == 0) continue;
    const bool gone = !row.connected && row.expires_at_ms && *row.expires_at_ms <= now_ms;
    const SubscriberId id = by_subscriber_.claim(next_subscriber_++);
    auto created = std::make_unique<Session>(row.client_id, id);
    Session& s = *created;
    sessions_.emplace(s.client_id, std::move(created));
    by_subscriber_.attach(s);
    s.user = std::move(row.user);
    s.version = row.version;
    s.expiry_interval = row.expiry_interval;
    s.connect_expiry_zero = row.connect_expiry_zero;
    s.last_packet_id = row.last_packet_id;
    s.next_seq = row.next_seq;
    if (!row.awaiting_pubrel.empty()) {
      auto& ids = s.rare_for_update().awaiting_pubrel;
      ids.insert(row.awaiting_pubrel.begin(), row.awaiting_pubrel.end());
    }
    if (row.will) s.will = std::make_unique<protocol::Will>(std::move(*row.will));
    if (row.connected) {
      // Its connection ended with the process: the session's expiry and its will start now
      // (as in on_client_closed; a will without delay goes out on the first tick).
      if (s.expiry_interval != Session::kNever) {
        s.expires_at = now + std::chrono::seconds(s.expiry_interval);
      }
      if (s.will) {
        const std::uint32_t delay = s.will->delay_interval.value_or(0);
        const auto wait = std::chrono::seconds(std::min(delay, s.expiry_interval));
        s.rare_for_update().will_at = now + wait;
      }
    } else {
      if (row.expires_at_ms) s.expires_at = steady_at(*row.expires_at_ms);
      // A delayed will whose time passed while the broker was down goes out on the first tick.
      if (s.will && row.will_at_ms) s.rare_for_update().will_at = steady_at(*row.will_at_ms);
    }
    for (auto& sub : row.subscriptions) {
      tree_.subscribe(sub.filter, id, sub.options);
      s.rare_for_update().subscriptions.insert_or_assign(std::move(sub.filter), sub.options);
    }
    for (auto& m : row.messages) {
      note_size(*m.message);
      OutgoingMessage out{m.message, m.qos, m.retain, std::move(m.subscription_ids),
                          steady_at(m.since_ms), m.key};
      if (m.state == DeliveryState::Queued) {
        s.queued_bytes += RetainedStore::message_bytes(*out.message);
        s.queue.push_back(std::move(out));
      } else {
        s.inflight.emplace(m.packet_id, Inflight{std::move(out), inflight_state(m.state), m.seq,
                                                 false, m.was_sent});
      }
      ++messages;
    }
    ++sessions;
    if (gone) {
      // Expired while the broker was down: it ends on the first tick (its will goes out then).
      ++expired;
    }
  }
  std::size_t retained = 0;
  for (auto& r : state.retained) {
    const auto& expiry = r.message->props.message_expiry;
    if (expiry && now_ms - r.stored_at_ms >= static_cast<std::int64_t>(*expiry) * 1000) {
      journal_.retained_removed(r.message->topic);  // expired while down
      continue;
    }
    note_size(*r.message);
    retained_.retain(std::move(r.message), steady_at(r.stored_at_ms));
    ++retained;
  }
  log_->info("persistence: restored {} session(s) with {} message(s) ({} expired while down), "
             "{} retained message(s)",
             sessions, messages, expired, retained);
}

}  // namespace gw::broker
