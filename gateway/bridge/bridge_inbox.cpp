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
  }
  cv_.notify_one();
  return true;
}

void BridgeInbox::request_stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
}

void BridgeInbox::notify() { cv_.notify_one(); }

void BridgeInbox::on_link_event(LinkEvent&& event) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  cv_.notify_one();
}

void BridgeInbox::on_link_events(std::vector<LinkEvent>& events) {
  if (events.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& e : events) events_.push_back(std::move(e));
  }
  cv_.notify_one();
}

void BridgeInbox::on_remote_message(std::uint64_t /*generation*/, Message&& message) {
  // Any connection's messages are good: they were acknowledged to the remote already.
  if (on_remote_) on_remote_(std::move(message));
}

void BridgeInbox::wait_and_take(std::chrono::nanoseconds timeout, Batch& out) {
  std::unique_lock lock(mu_);
  if (local_.empty() && events_.empty() && !stop_ && timeout.count() > 0) {
    cv_.wait_for(lock, timeout, [this] { return !local_.empty() || !events_.empty() || stop_; });
  }
  out.local.swap(local_);
  out.events.swap(events_);
  out.stop = stop_;
  local_size_.store(local_.size(), std::memory_order_relaxed);
  lock.unlock();
  if (progress_wanted_.exchange(false, std::memory_order_relaxed) && on_progress_) on_progress_();
}

}  // namespace gw::bridge
