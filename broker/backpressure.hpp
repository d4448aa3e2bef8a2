// broker::Backpressure: who waits on whom when a fast network publisher meets a slow subscriber.
//
// A publisher whose message takes a connected subscriber's backlog (bytes its connection has not
// written yet plus its session's queue) past the high-water mark is no longer read: its unread
// bytes stay in the kernel and TCP slows it down, instead of the broker reading messages it can
// only drop. It is read again when every subscriber it waits on is back under the low-water mark.
// A subscriber that makes no write progress for max_backpressure_wait is stuck: its publishers
// are released, and until it drains it pauses nobody (its overflow is dropped and counted as
// without back-pressure). So one stuck reader delays the others at most that long, once.
// A publisher with a Keep Alive is not held longer than half of it, even by network subscribers
// that keep making a little progress: those it still waits on are then treated as stuck.
//
// Each Client that takes part holds one of these (allocated on first use, see
// Client::backpressure()): `waiters` as a subscriber, `waiting_on` as a publisher. A pair
// is recorded once (a publisher checks its own short `waiting_on` list), so the work per routed
// message is a comparison, and per pause proportional to the slow subscribers it waits on.
//
// Ownership: owned by its Client (or a Broker::LocalGauge); the pointers are to live Clients,
// removed by Broker::forget_backpressure() before a Client stops handling packets.
// Thread safety: core thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

#include "broker/subscription.hpp"

namespace gw::broker {

class Client;

struct Backpressure {
  // As a subscriber: publishers paused until this connection's backlog falls under low water.
  std::vector<Client*> waiters;
  // As a publisher: subscribers it waits on; its reading is paused while this is not empty.
  std::vector<Client*> waiting_on;
  // As a publisher: in-process subscribers (by LocalClient) with a LocalBacklog it waits on.
  std::vector<SubscriberId> waiting_on_local;
  // While `waiters` is not empty: when the backlog last went down, and what it was then.
  std::chrono::steady_clock::time_point progress_at;
  std::size_t backlog_mark = 0;
  // As a publisher: when its reading was paused (see Broker::check_backpressure).
  std::chrono::steady_clock::time_point paused_at;
  // Declared stuck: pauses no publisher until its backlog falls under low water.
  bool stuck = false;

  [[nodiscard]] bool paused() const { return !waiting_on.empty() || !waiting_on_local.empty(); }
  // Nothing that has to be remembered: a Client may then drop its (lazily allocated) state.
  [[nodiscard]] bool idle() const { return waiters.empty() && !paused() && !stuck; }
  // The state of a client that has none allocated: idle.
  static const Backpressure& none() {
    static const Backpressure kNone;
    return kNone;
  }
  [[nodiscard]] bool waits_on(const Client* subscriber) const {
    return std::find(waiting_on.begin(), waiting_on.end(), subscriber) != waiting_on.end();
  }
};

// Removes one occurrence of `c` (order does not matter).
inline void erase_one(std::vector<Client*>& v, const Client* c) {
  if (auto it = std::find(v.begin(), v.end(), c); it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
}

inline void erase_one(std::vector<SubscriberId>& v, SubscriberId id) {
  if (auto it = std::find(v.begin(), v.end(), id); it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
}

// An in-process subscriber's own queue, taken by another thread (the bridge's hand-off into its
// outbox). With one set (LocalClient::set_backlog) the subscriber counts for back-pressure like a
// network one: its backlog is size() plus the local deliveries the broker has not handed over
// yet; a network publisher routing into it above capacity() / 2 is paused until it is at
// capacity() / 4 or less, or until it makes no progress for max_backpressure_wait (stuck).
//
// Ownership: shared by the LocalClient's owner and the Broker.
// Thread safety: size() and capacity() from any thread; request_progress() from the core thread;
// the consumer answers it from its own thread by posting LocalClient::on_backlog_progress() to
// the core.
class LocalBacklog {
 public:
  virtual ~LocalBacklog() = default;
  [[nodiscard]] virtual std::size_t size() const = 0;
  [[nodiscard]] virtual std::size_t capacity() const = 0;
  // Asks for one LocalClient::on_backlog_progress() on the core thread after the consumer next
  // takes from the queue (even if it finds it empty).
  virtual void request_progress() = 0;
};

// Names the publishing client in `slot` for the length of one routed PUBLISH.
class RoutingPublisher {
 public:
  RoutingPublisher(Client*& slot, Client* publisher) : slot_(slot) { slot_ = publisher; }
  ~RoutingPublisher() { slot_ = nullptr; }
  RoutingPublisher(const RoutingPublisher&) = delete;
  RoutingPublisher& operator=(const RoutingPublisher&) = delete;

 private:
  Client*& slot_;
};

}  // namespace gw::broker
