// Broker: back-pressure between network publishers and slow subscribers (broker/backpressure.hpp).
#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "broker/broker.hpp"
#include "broker/retained_store.hpp"

namespace gw::broker {

// What the subscriber has not taken yet: bytes its connection still has to write, plus its
// session's queue (QoS 1/2 messages waiting for quota, which its acknowledgements free).
std::size_t Broker::backlog(const Session& session) const {
  const std::size_t pending = session.client != nullptr ? session.client->pending_bytes() : 0;
  return pending + session.queued_bytes;
}

// Half of each bound: the messages of the read batches already taken from paused publishers
// still fit before anything is dropped.
bool Broker::over_high_water(const Session& session) const {
  return backlog(session) > options_.max_queued_bytes / 2 ||
         session.queue.size() > options_.max_queued_messages / 2;
}

// A quarter: a publisher resumed at once would pause again after a few messages.
bool Broker::under_low_water(const Session& session) const {
  return backlog(session) <= options_.max_queued_bytes / 4 &&
         session.queue.size() <= options_.max_queued_messages / 4;
}

void Broker::throttle_if_over(Session& session) {
  Client* subscriber = session.client;
  Client* publisher = routing_from_;
  // A client subscribed to its own messages is not paused for itself: it would stop reading our
  // acknowledgements' cause, and its own reading is what drains it.
  if (subscriber == nullptr || subscriber == publisher || subscriber->closing()) return;
  if (subscriber->backpressure().stuck || !over_high_water(session)) return;
  // A slow subscriber drains only while it is read (its acknowledgements free its queue), so one
  // that others wait on is never paused: a paused one is read again now, and one that others
  // already wait on is not paused as a publisher below. Otherwise two clients publishing to each
  // other would hold each other until the stuck rule broke the tie.
  if (subscriber->backpressure().paused()) {
    stop_waiting(*subscriber);
    subscriber->resume_reading(clock_.steady());
  }
  if (const Backpressure& pub = publisher->backpressure();
      !pub.waiters.empty() || pub.waits_on(subscriber)) {
    return;
  }
  // A pair is made: both sides need their state now.
  Backpressure& sub = subscriber->backpressure_for_update();
  Backpressure& pub = publisher->backpressure_for_update();
  if (sub.waiters.empty()) {
    sub.progress_at = clock_.steady();
    sub.backlog_mark = backlog(session);
  }
  const bool was_paused = pub.paused();
  sub.waiters.push_back(publisher);
  pub.waiting_on.push_back(subscriber);
  if (!was_paused) {
    ++stats_.backpressure_pauses;
    pub.paused_at = clock_.steady();
    publisher->pause_reading();
  }
}

// Declares a subscriber (network or in-process) stuck and counts it; true when this is a count
// to log (the 1st, 2nd, 4th... time), so that a flapping reader does not flood the log.
bool Broker::mark_stuck(Backpressure& subscriber) {
  subscriber.stuck = true;
  ++stats_.backpressure_stuck;
  return std::has_single_bit(stats_.backpressure_stuck);
}

void Broker::release_waiters(Client& subscriber, std::chrono::steady_clock::time_point now) {
  if (!subscriber.has_backpressure_state()) return;  // nobody waits on it
  Backpressure& sub = subscriber.backpressure_for_update();
  for (Client* publisher : sub.waiters) {
    Backpressure& pub = publisher->backpressure_for_update();  // paired: it has its state
    erase_one(pub.waiting_on, &subscriber);
    if (!pub.paused()) publisher->resume_reading(now);
  }
  sub.waiters.clear();
}

void Broker::on_subscriber_progress(Client& subscriber) {
  if (subscriber.backpressure().waiters.empty() && !subscriber.backpressure().stuck) return;
  Backpressure& sub = subscriber.backpressure_for_update();
  const Session* session = subscriber.session();
  if (session == nullptr || under_low_water(*session)) {
    sub.stuck = false;
    if (!sub.waiters.empty()) release_waiters(subscriber, clock_.steady());
    return;
  }
  if (sub.waiters.empty()) return;
  const std::size_t now_backlog = backlog(*session);
  if (now_backlog < sub.backlog_mark) sub.progress_at = clock_.steady();
  sub.backlog_mark = now_backlog;
}

void Broker::check_backpressure(Client& client, std::chrono::steady_clock::time_point now) {
  if (client.backpressure().paused()) limit_pause(client, now);
  if (client.backpressure().waiters.empty() && !client.backpressure().stuck) return;
  Backpressure& sub = client.backpressure_for_update();
  on_subscriber_progress(client);  // the low-water check: partial writes report no completion
  if (sub.waiters.empty() || now - sub.progress_at < options_.max_backpressure_wait) return;
  // No write progress for the whole wait: a reader this slow, or stopped, may not hold the others
  // back any longer. Its overflow is dropped (and counted) from now on, as without back-pressure.
  if (mark_stuck(sub)) {
    log_->warn("client {}: no write progress for {} ms ({} bytes behind), resuming {} publisher(s); "
               "its overflow is dropped ({} stuck so far)",
               client.peer(), options_.max_backpressure_wait.count(), sub.backlog_mark,
               sub.waiters.size(), stats_.backpressure_stuck);
  }
  release_waiters(client, now);
}

// A paused publisher cannot be read, so neither can its PINGREQ; a client that gets no PINGRESP
// within about its Keep Alive closes the connection (MQTT 5 §3.1.2.10, §3.12.4). A subscriber
// that keeps making a little progress is never stuck by the rule above, and in-process
// publishers (never paused) can keep it over the high-water mark: so a pause ends at half the
// publisher's Keep Alive, and the network subscribers it waits on are treated as stuck (their
// overflow dropped and counted) until they drain. An in-process backlog (the bridge's hand-off
// into its outbox) is not: its overflow would be messages lost on their way to the outbox, so
// the publisher keeps waiting for it (at QoS 1/2 a client that gives up and reconnects sends its
// unacknowledged messages again). A publisher without Keep Alive stays paused as long as TCP
// would hold it.
void Broker::limit_pause(Client& publisher, std::chrono::steady_clock::time_point now) {
  const Backpressure& pub = publisher.backpressure();
  const std::uint16_t keep_alive = publisher.keep_alive_s();
  if (pub.waiting_on.empty() || keep_alive == 0 ||
      now - pub.paused_at < std::chrono::milliseconds(keep_alive * 500U)) {
    return;
  }
  const std::vector<Client*> subscribers = pub.waiting_on;  // releasing each one edits the list
  bool to_log = false;
  for (Client* subscriber : subscribers) {
    to_log = mark_stuck(subscriber->backpressure_for_update()) || to_log;
    release_waiters(*subscriber, now);
  }
  if (to_log) {
    log_->warn("client {}: paused for half its keep alive ({} s) by {} slow subscriber(s); "
               "resuming it, their overflow is dropped ({} stuck so far)",
               publisher.peer(), keep_alive, subscribers.size(), stats_.backpressure_stuck);
  }
}

void Broker::forget_backpressure(Client& client) {
  if (!client.has_backpressure_state()) return;  // the usual case: it never took part
  Backpressure& bp = client.backpressure_for_update();
  if (!bp.waiters.empty()) release_waiters(client, clock_.steady());
  stop_waiting(client);
  bp.stuck = false;
}

void Broker::stop_waiting(Client& publisher) {
  if (!publisher.has_backpressure_state()) return;  // waits on nobody
  Backpressure& bp = publisher.backpressure_for_update();
  for (Client* subscriber : bp.waiting_on) {
    erase_one(subscriber->backpressure_for_update().waiters, &publisher);
  }
  bp.waiting_on.clear();
  for (SubscriberId owner : bp.waiting_on_local) {
    if (auto it = local_gauges_.find(owner); it != local_gauges_.end()) {
      erase_one(it->second.bp.waiters, &publisher);
    }
  }
  bp.waiting_on_local.clear();
}

std::string Broker::check_backpressure_invariants() const {
  for (Client* c : clients_.all()) {
    const Backpressure& bp = c->backpressure();
    const auto fail = [&](std::string_view what) {
      return fmt::format("client {}: back-pressure: {}", c->peer(), what);
    };
    if ((bp.paused() || !bp.waiters.empty()) && c->closing()) return fail("closing but still paired");
    if (bp.stuck && !bp.waiters.empty()) return fail("stuck but still pausing publishers");
    if (bp.paused() && !bp.waiters.empty()) return fail("paused while publishers wait on it");
    for (Client* s : bp.waiting_on) {
      if (!clients_.contains(s)) return fail("waits on a gone subscriber");
      const auto& w = s->backpressure().waiters;
      if (std::count(w.begin(), w.end(), c) != 1) return fail("not once among its subscriber's waiters");
      if (std::count(bp.waiting_on.begin(), bp.waiting_on.end(), s) != 1) return fail("waits twice");
      if (s == c) return fail("waits on itself");
    }
    for (Client* p : bp.waiters) {
      if (!clients_.contains(p)) return fail("a gone publisher waits on it");
      if (!p->backpressure().waits_on(c)) return fail("a waiter that does not wait on it");
    }
    for (SubscriberId owner : bp.waiting_on_local) {
      auto it = local_gauges_.find(owner);
      if (it == local_gauges_.end()) return fail("waits on a gone local subscriber");
      const auto& w = it->second.bp.waiters;
      if (std::count(w.begin(), w.end(), c) != 1) return fail("not once among a local backlog's waiters");
      const auto& l = bp.waiting_on_local;
      if (std::count(l.begin(), l.end(), owner) != 1) return fail("waits twice on a local backlog");
    }
  }
  for (const auto& [owner, gauge] : local_gauges_) {
    const auto fail = [id = static_cast<std::uint64_t>(owner)](std::string_view what) {
      return fmt::format("local subscriber {}: back-pressure: {}", id, what);
    };
    if (gauge.backlog == nullptr) return fail("no backlog");
    if (!gauge.bp.waiting_on.empty() || !gauge.bp.waiting_on_local.empty()) return fail("waits itself");
    if (gauge.bp.stuck && !gauge.bp.waiters.empty()) return fail("stuck but still pausing publishers");
    for (Client* p : gauge.bp.waiters) {
      if (!clients_.contains(p)) return fail("a gone publisher waits on it");
      const auto& l = p->backpressure().waiting_on_local;
      if (std::find(l.begin(), l.end(), owner) == l.end()) return fail("a waiter that does not wait on it");
    }
  }
  return {};
}

// --- In-process subscribers with a queue of their own (LocalBacklog) ---

// The queue, plus what routing has queued for local subscribers but not handed over yet (the
// whole local queue: an upper bound, drained at every loop pass, so no count per subscriber).
std::size_t Broker::local_backlog(const LocalGauge& gauge) const {
  return gauge.backlog->size() + local_queue_.size();
}

void Broker::set_local_backlog(SubscriberId owner, std::shared_ptr<LocalBacklog> backlog) {
  if (auto it = local_gauges_.find(owner); it != local_gauges_.end()) {
    release_local_waiters(owner, it->second, clock_.steady());
    local_gauges_.erase(it);
  }
  if (backlog != nullptr) local_gauges_[owner].backlog = std::move(backlog);
}

void Broker::throttle_if_local_over(SubscriberId owner) {
  auto it = local_gauges_.find(owner);
  if (it == local_gauges_.end()) return;
  LocalGauge& gauge = it->second;
  Backpressure& sub = gauge.bp;
  if (sub.stuck) return;
  const std::size_t now_backlog = local_backlog(gauge);
  if (now_backlog <= gauge.backlog->capacity() / 2) return;
  Client* publisher = routing_from_;
  // A publisher that others wait on is never paused (see throttle_if_over).
  if (!publisher->backpressure().waiters.empty()) return;
  const auto& waiting = publisher->backpressure().waiting_on_local;
  if (std::find(waiting.begin(), waiting.end(), owner) != waiting.end()) return;
  Backpressure& pub = publisher->backpressure_for_update();
  if (sub.waiters.empty()) {
    sub.progress_at = clock_.steady();
    sub.backlog_mark = now_backlog;
    gauge.backlog->request_progress();
  }
  const bool was_paused = pub.paused();
  sub.waiters.push_back(publisher);
  pub.waiting_on_local.push_back(owner);
  if (!was_paused) {
    ++stats_.backpressure_pauses;
    pub.paused_at = clock_.steady();
    publisher->pause_reading();
  }
}

void Broker::on_local_backlog_progress(SubscriberId owner) {
  if (auto it = local_gauges_.find(owner); it != local_gauges_.end()) {
    check_local_backlog(owner, it->second, clock_.steady(), /*stuck_check=*/false);
  }
}

void Broker::check_local_backlog(SubscriberId owner, LocalGauge& gauge,
                                 std::chrono::steady_clock::time_point now, bool stuck_check) {
  Backpressure& sub = gauge.bp;
  if (sub.waiters.empty() && !sub.stuck) return;
  const std::size_t now_backlog = local_backlog(gauge);
  if (now_backlog <= gauge.backlog->capacity() / 4) {
    sub.stuck = false;
    release_local_waiters(owner, gauge, now);
    return;
  }
  if (sub.waiters.empty()) return;  // stuck: pauses nobody until it drains
  if (now_backlog < sub.backlog_mark) sub.progress_at = now;
  sub.backlog_mark = now_backlog;
  if (!stuck_check) {
    gauge.backlog->request_progress();  // still over low water: the next take tells again
    return;
  }
  if (now - sub.progress_at < options_.max_backpressure_wait) return;
  // No progress for the whole wait (e.g. its consumer's disk is failing): as for a stuck network
  // subscriber, its publishers are released and what does not fit its queue is refused there.
  if (mark_stuck(sub)) {
    log_->warn("local subscriber {}: no progress for {} ms ({} messages behind), resuming {} "
               "publisher(s); its overflow is dropped ({} stuck so far)",
               static_cast<std::uint64_t>(owner), options_.max_backpressure_wait.count(),
               now_backlog, sub.waiters.size(), stats_.backpressure_stuck);
  }
  release_local_waiters(owner, gauge, now);
}

void Broker::release_local_waiters(SubscriberId owner, LocalGauge& gauge,
                                   std::chrono::steady_clock::time_point now) {
  for (Client* publisher : gauge.bp.waiters) {
    Backpressure& pub = publisher->backpressure_for_update();  // paired: it has its state
    erase_one(pub.waiting_on_local, owner);
    if (!pub.paused()) publisher->resume_reading(now);
  }
  gauge.bp.waiters.clear();
}

}  // namespace gw::broker
