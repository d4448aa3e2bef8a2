// bridge::BridgeInbox: the one hand-off into the bridge thread. The core thread pushes local
// messages (bounded: when full the push is refused and counted, never queued without bound); Paho
// callbacks push LinkEvents (bounded by the send window and the connection count, so not capped)
// and remote messages, which go straight on to the core through `on_remote`. The bridge thread
// takes everything at once with wait_and_take().
//
// Back-pressure: the inbox is the broker::LocalBacklog of the bridge's local subscriptions, so
// the broker pauses the network publishers feeding it while it is above half its capacity, and
// the bridge thread tells the core (set_on_progress) when it has taken the queue.
//
// Ownership: shared (std::shared_ptr) by the Bridge, the local subscription handlers and every
// Uplink callback context, so a late producer never touches a destroyed object.
// Thread safety: every member is safe from any thread, except set_driver() and wait_and_take(),
// which are the bridge thread's.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "broker/backpressure.hpp"
#include "core/message.hpp"
#include "gateway/bridge/link_event.hpp"

namespace gw::bridge {

// A local message for one upstream route.
struct LocalItem {
  std::uint32_t route = 0;  // index in BridgeOptions::upstream
  std::shared_ptr<const Message> message;
};

class BridgeInbox final : public LinkSink, public broker::LocalBacklog {
 public:
  using RemoteHandler = std::function<void(Message&&)>;

  BridgeInbox(std::size_t capacity, RemoteHandler on_remote)
      : capacity_(capacity), on_remote_(std::move(on_remote)) {}

  // From the core thread. false when the queue is full or closed (the message is not taken).
  bool push_local(LocalItem item);
  // Stops local pushes (they are refused from now on, without counting) and wakes the bridge
  // thread with stop_requested() = true.
  void request_stop();

  // broker::LocalBacklog. `on_progress` runs on the bridge thread (it posts to the core); set
  // it before the bridge thread starts.
  void set_on_progress(std::function<void()> on_progress) { on_progress_ = std::move(on_progress); }
  [[nodiscard]] std::size_t size() const override { return local_size_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t capacity() const override { return capacity_; }
  void request_progress() override { progress_wanted_.store(true, std::memory_order_relaxed); }

  void on_link_event(LinkEvent&& event) override;
  void on_link_events(std::vector<LinkEvent>& events) override;
  void on_remote_message(std::uint64_t generation, Message&& message) override;

  struct Batch {
    std::deque<LocalItem> local;
    std::deque<LinkEvent> events;
    bool stop = false;
  };
  // Bridge thread: the link whose handlers wait_and_take() runs while it waits (nullptr: none,
  // the condition variable alone). Set it to nullptr before that link is destroyed.
  void set_driver(LinkDriver* driver);
  // Bridge thread: waits until something arrives or `timeout` passes, then takes everything.
  // With a driver, its ready handlers run first, and it waits by running them. After a batch
  // with stop = true, only a push ends a wait (stop stays true in every later batch).
  void wait_and_take(std::chrono::nanoseconds timeout, Batch& out);

  [[nodiscard]] std::uint64_t dropped_full() const { return dropped_full_.load(); }

 private:
  const std::size_t capacity_;
  const RemoteHandler on_remote_;
  // With mu_ held: wakes a wait_and_take() that waits by running the driver's handlers.
  void wake_driver_locked();

  std::mutex mu_;  // guards: local_, events_, stop_, stop_taken_, driver_, waiting_
  std::condition_variable cv_;
  std::deque<LocalItem> local_;
  std::deque<LinkEvent> events_;
  bool stop_ = false;
  bool stop_taken_ = false;       // a wait_and_take() returned stop = true
  LinkDriver* driver_ = nullptr;  // set by the bridge thread; other threads only wake it
  bool waiting_ = false;          // the bridge thread runs the driver, waiting for a push
  std::atomic<std::uint64_t> dropped_full_{0};
  // Back-pressure: local_.size() for the core thread's reads without the lock, and whether the
  // core waits for the next take.
  std::atomic<std::size_t> local_size_{0};
  std::atomic<bool> progress_wanted_{false};
  std::function<void()> on_progress_;
};

}  // namespace gw::bridge
