#include "gateway/bridge/bridge_inbox.hpp"

#include <utility>

namespace gw::bridge {

bool BridgeInbox::push_local(LocalItem item) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return false;
    if (local_.size() >= capacity_) {
      dropped_full_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    local_.push_back(std::move(item));
    local_size_.store(local_.size(), std::memory_order_relaxed);
    wake_driver_locked();
  }
  cv_.notify_one();
  return true;
}

void BridgeInbox::request_stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    wake_driver_locked();
  }
  cv_.notify_one();
}

void BridgeInbox::wake_driver_locked() {
  if (!waiting_ || driver_ == nullptr) return;
  waiting_ = false;
  driver_->wake();
}

void BridgeInbox::set_driver(LinkDriver* driver) {
  std::lock_guard lock(mu_);
  driver_ = driver;
  waiting_ = false;
}

void BridgeInbox::on_link_event(LinkEvent&& event) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
    wake_driver_locked();
  }
  cv_.notify_one();
}

void BridgeInbox::on_link_events(std::vector<LinkEvent>& events) {
  if (events.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& e : events) events_.push_back(std::move(e));
    wake_driver_locked();
  }
  cv_.notify_one();
}

void BridgeInbox::on_remote_message(std::uint64_t /*generation*/, Message&& message) {
  // Any connection's messages are good: they were acknowledged to the remote already.
  if (on_remote_) on_remote_(std::move(message));
}

void BridgeInbox::wait_and_take(std::chrono::nanoseconds timeout, Batch& out) {
  std::unique_lock lock(mu_);
  // A stop already taken ends no more waits: the shutdown waits for its acknowledgements here.
  auto ready = [this] { return !local_.empty() || !events_.empty() || (stop_ && !stop_taken_); };
  if (LinkDriver* driver = driver_; driver != nullptr) {
    // Only this thread changes driver_, so it stays valid while the lock is released.
    lock.unlock();
    driver->poll();  // what was read meanwhile comes with this batch
    lock.lock();
    if (timeout.count() > 0) {
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      while (!ready() && std::chrono::steady_clock::now() < deadline) {
        waiting_ = true;
        lock.unlock();
        driver->run_one_until(deadline);
        driver->poll();
        lock.lock();
        waiting_ = false;
      }
    }
  } else if (!ready() && timeout.count() > 0) {
    cv_.wait_for(lock, timeout, ready);
  }
  out.local.swap(local_);
  out.events.swap(events_);
  out.stop = stop_;
  stop_taken_ = stop_;
  local_size_.store(local_.size(), std::memory_order_relaxed);
  lock.unlock();
  if (progress_wanted_.exchange(false, std::memory_order_relaxed) && on_progress_) on_progress_();
}

}  // namespace gw::bridge
