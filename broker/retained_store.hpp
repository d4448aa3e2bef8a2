// broker::RetainedStore: the last retained message per topic name (MQTT 5 §3.3.1.3), indexed by a
// trie keyed by topic level so that a new subscription finds its retained messages by walking
// only the branches its filter can match, not by scanning every topic.
//
// Expiry (MQTT 5 §3.3.2.3.3): a message with a Message Expiry Interval is stored with its arrival
// time (from the broker's injected core::Clock) and is neither yielded nor kept once the interval
// has passed: match() and find() drop expired messages they meet, purge_expired() drops them all,
// and next_expiry() tells the broker when to arm a timer for that.
//
// Ownership: messages are shared and immutable (std::shared_ptr<const Message>): the store keeps
// one reference, and each subscriber queue the broker hands a message to takes another.
// Thread safety: core thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/message.hpp"

namespace gw::broker {

// What RetainedStore::match yields for one retained message.
struct RetainedMatch {
  // The stored message; copy the shared_ptr to queue it (no copy of the message itself).
  const std::shared_ptr<const Message>& message;
  std::chrono::steady_clock::time_point stored_at;
  // MQTT 5 §3.3.2.3.3 [MQTT-3.3.2-6]: the Message Expiry Interval to send, i.e. the received
  // value minus the whole seconds the message has waited; nullopt when it had none.
  std::optional<std::uint32_t> remaining_expiry;
};

enum class RetainResult : std::uint8_t {
  Stored,           // a new topic
  Replaced,         // replaced the previous retained message of that topic
  Deleted,          // empty payload: the previous retained message was removed
  NothingToDelete,  // empty payload and nothing was retained on that topic
};

class RetainedStore {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  RetainedStore();
  ~RetainedStore();
  RetainedStore(const RetainedStore&) = delete;
  RetainedStore& operator=(const RetainedStore&) = delete;
  RetainedStore(RetainedStore&&) noexcept;
  RetainedStore& operator=(RetainedStore&&) noexcept;

  // Stores `message` as the retained message of message->topic, replacing any previous one; a
  // message with an empty payload deletes it instead and is not stored (MQTT 5 §3.3.1.3
  // [MQTT-3.3.1-6], [MQTT-3.3.1-7]). `now` is the arrival time, the start of its expiry interval.
  // The topic is a valid topic name (no wildcards). Precondition: message != nullptr.
  RetainResult retain(std::shared_ptr<const Message> message, time_point now);

  // Removes the retained message of `topic`; false when there was none.
  bool erase(std::string_view topic);

  // The retained message of exactly `topic` if there is one that has not expired at `now`.
  [[nodiscard]] std::shared_ptr<const Message> find(std::string_view topic, time_point now);

  // Calls visit(const RetainedMatch&) for every unexpired retained message whose topic matches
  // `filter` (MQTT 5 §4.7, including [MQTT-4.7.2-1]: a filter starting with a wildcard does not
  // match topics starting with '$'), in no particular order; expired ones met on the way are
  // removed. `filter` is a plain filter: for $share/{group}/{f} pass f (whether a new shared
  // subscription gets retained messages at all is the caller's decision). The visitor must not
  // modify the store. No heap allocation in the steady state.
  template <class F>
  requires std::is_invocable_v<F&, const RetainedMatch&>
  void match(std::string_view filter, time_point now, F&& visit) {
    using Fn = std::remove_reference_t<F>;
    match_impl(filter, now,
               Visitor{const_cast<void*>(static_cast<const void*>(std::addressof(visit))),
                       [](void* ctx, const RetainedMatch& m) { (*static_cast<Fn*>(ctx))(m); }});
  }

  // Removes every message whose expiry interval has passed at `now`; returns how many.
  std::size_t purge_expired(time_point now);

  // Calls visit(const RetainedMatch&) for every stored message, expired or not, in no particular
  // order (a full snapshot for persistence). The visitor must not modify the store.
  void for_each(const std::function<void(const RetainedMatch&)>& visit) const;

  // The earliest time a stored message expires, for arming the purge timer; nullopt if none will.
  [[nodiscard]] std::optional<time_point> next_expiry() const;

  // Retained messages held.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // Approximate memory they hold, for limits: topic + payload + the variable-length properties
  // (content type, response topic, correlation data, user properties) of each message.
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  // Trie nodes below the root; exposed so that tests and metrics can see pruning work.
  [[nodiscard]] std::size_t node_count() const noexcept { return node_count_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  // The size bytes() counts for one message.
  [[nodiscard]] static std::size_t message_bytes(const Message& message) noexcept;

 private:
  struct Node;

  // A non-owning, allocation-free callable reference (the match visitor).
  struct Visitor {
    void* ctx;
    void (*fn)(void* ctx, const RetainedMatch& m);
    void operator()(const RetainedMatch& m) const { fn(ctx, m); }
  };

  // One pending branch of the match walk. `node` has matched the filter levels before `pos`; with
  // `subtree` set, the filter's '#' was reached and all of node's subtree matches.
  struct Frame {
    Node* node;
    std::size_t pos;
    bool subtree;
  };

  void match_impl(std::string_view filter, time_point now, Visitor visit);
  // Yields node's message unless it expired (then queues it in expired_ for removal).
  void visit_node(Node& node, time_point now, Visitor visit);
  void clear_message(Node& node);
  void remove_expired_queue();
  Node* find_node(std::string_view topic);

  std::unique_ptr<Node> root_;
  std::vector<Frame> stack_;  // scratch for match(); reused, grows only
  // Scratch for match(): expired messages met, removed after the walk.
  std::vector<std::shared_ptr<const Message>> expired_;
  // Expiry deadline -> node holding a message with that deadline.
  std::multimap<time_point, Node*> expiry_;
  std::size_t size_ = 0;
  std::size_t bytes_ = 0;
  std::size_t node_count_ = 0;
};

}  // namespace gw::broker
