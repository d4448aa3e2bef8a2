// broker::Backpressure: who waits on whom when a fast network publisher meets a slow subscriber.
//
// A publisher whose message takes a connected subscriber's backlog (bytes its connection has not
// written yet plus its session's queue) past the high-water mark is no longer read: its unread
// bytes stay in the kernel and TCP slows it down, instead of the broker reading messages it can
// only drop. It is read again when every subscriber it waits on is back under the low-water mark.
// A subscriber that makes no write progress for max_backpressure_wait is stuck: its publishers
// are released, and until it drains it pauses nobody (its overflow is dropped and counted as
// without back-pressure). So one stuck reader delays the others at most that long, once.
//
// Each Client holds one of these: `waiters` as a subscriber, `waiting_on` as a publisher. A pair
// is recorded once (a publisher checks its own short `waiting_on` list), so the work per routed
// message is a comparison, and per pause proportional to the slow subscribers it waits on.
//
// Ownership: a member of Client; the pointers are to live Clients, removed by
// Broker::forget_backpressure() before a Client stops handling packets.
// Thread safety: core thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace gw::broker {

class Client;

struct Backpressure {
  // As a subscriber: publishers paused until this connection's backlog falls under low water.
  std::vector<Client*> waiters;
  // As a publisher: subscribers it waits on; its reading is paused while this is not empty.
  std::vector<Client*> waiting_on;
  // While `waiters` is not empty: when the backlog last went down, and what it was then.
  std::chrono::steady_clock::time_point progress_at;
  std::size_t backlog_mark = 0;
  // Declared stuck: pauses no publisher until its backlog falls under low water.
  bool stuck = false;

  [[nodiscard]] bool paused() const { return !waiting_on.empty(); }
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
