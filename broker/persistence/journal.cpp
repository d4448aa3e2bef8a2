#include "broker/persistence/journal.hpp"

namespace gw::broker::persistence {

std::size_t Journal::size() const {
  return dirty_sessions_.size() + ended_sessions_.size() + subscriptions_.size() +
         messages_.size() + retained_.size();
}

void Journal::check_bound() {
  if (size() <= max_changes_) return;
  clear();
  overflowed_ = true;
  ++overflows_;
}

void Journal::clear() {
  dirty_sessions_.clear();
  ended_sessions_.clear();
  subscriptions_.clear();
  messages_.clear();
  retained_.clear();
}

void Journal::session_changed(std::string_view client_id) {
  if (overflowed_) return;
  if (!dirty_sessions_.contains(client_id)) dirty_sessions_.emplace(client_id);
  check_bound();
}

void Journal::session_ended(std::string_view client_id) {
  if (overflowed_) return;
  if (auto it = dirty_sessions_.find(client_id); it != dirty_sessions_.end()) {
    dirty_sessions_.erase(it);
  }
  // The store deletes the session's subscriptions and messages with it: nothing pending of its
  // own may follow that delete.
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    it = it->first.first == client_id ? subscriptions_.erase(it) : std::next(it);
  }
  for (auto it = messages_.begin(); it != messages_.end();) {
    it = it->second.client_id == client_id ? messages_.erase(it) : std::next(it);
  }
  if (!ended_sessions_.contains(client_id)) ended_sessions_.emplace(client_id);
  check_bound();
}

void Journal::subscription_set(std::string_view client_id, std::string_view filter,
                               const SubscriptionOptions& options) {
  if (overflowed_) return;
  subscriptions_[{std::string(client_id), std::string(filter)}] = options;
  check_bound();
}

void Journal::subscription_removed(std::string_view client_id, std::string_view filter) {
  if (overflowed_) return;
  subscriptions_[{std::string(client_id), std::string(filter)}] = std::nullopt;
  check_bound();
}

void Journal::message_put(std::string_view client_id, PersistedMessage message, bool fresh) {
  if (overflowed_) return;
  auto [it, inserted] = messages_.try_emplace(message.key);
  if (inserted) {
    it->second.client_id = client_id;
    it->second.on_disk = !fresh;
  }
  it->second.put = std::move(message);
  check_bound();
}

void Journal::message_removed(std::uint64_t key) {
  if (overflowed_) return;
  auto [it, inserted] = messages_.try_emplace(key);
  if (inserted) {
    it->second.on_disk = true;
  } else if (!it->second.on_disk) {
    messages_.erase(it);  // queued and gone within one window: the disk never sees it
    return;
  }
  it->second.put.reset();
  check_bound();
}

void Journal::retained_set(std::shared_ptr<const Message> message, std::int64_t stored_at_ms) {
  if (overflowed_) return;
  std::string topic = message->topic;
  retained_[std::move(topic)] = PersistedRetained{std::move(message), stored_at_ms};
  check_bound();
}

void Journal::retained_removed(std::string_view topic) {
  if (overflowed_) return;
  if (auto it = retained_.find(topic); it != retained_.end()) {
    it->second.reset();
  } else {
    retained_.emplace(std::string(topic), std::nullopt);
  }
  check_bound();
}

JournalBatch Journal::take(std::set<std::string>& dirty_sessions) {
  JournalBatch batch;
  for (const auto& id : ended_sessions_) batch.ended_sessions.push_back(id);
  dirty_sessions.insert(dirty_sessions_.begin(), dirty_sessions_.end());
  for (auto& [key, options] : subscriptions_) {
    if (options) {
      batch.subscriptions_set.emplace_back(key.first, PersistedSubscription{key.second, *options});
    } else {
      batch.subscriptions_removed.emplace_back(key.first, key.second);
    }
  }
  for (auto& [key, pending] : messages_) {
    if (pending.put) {
      batch.messages_put.emplace_back(std::move(pending.client_id), std::move(*pending.put));
    } else {
      batch.messages_removed.push_back(key);
    }
  }
  for (auto& [topic, retained] : retained_) {
    if (retained) {
      batch.retained_set.push_back(std::move(*retained));
    } else {
      batch.retained_removed.push_back(topic);
    }
  }
  clear();
  return batch;
}

}  // namespace gw::broker::persistence
