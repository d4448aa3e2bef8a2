// broker::TopicTree: the subscription index. A trie keyed by topic level that stores, per topic
// filter, the non-shared subscriptions (one per subscriber) and the shared subscription groups
// ($share/{group}/{filter}, MQTT 5 §4.8.2), and answers "who is subscribed to this topic name".
//
// Matching follows MQTT 5 §4.7: '+' matches exactly one level, '#' matches the parent level and any
// number of child levels, empty levels are levels ("a//b", "/a"), and filters that begin with a
// wildcard do not match topic names that begin with '$' [MQTT-4.7.2-1].
//
// Filters are assumed syntactically valid (the codec validates them); the tree does not re-check.
//
// match() never copies the topic (it walks std::string_view levels) and does not allocate in the
// steady state: the walk uses a scratch stack owned by the tree, which only grows.
//
// Ownership: owns its nodes and a copy of every filter it holds. Matches borrow the tree (see
// Match::share_group) and are valid until the tree is next modified.
// Thread safety: core thread only. match() is not const: it advances shared-group round-robin
// cursors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/subscription.hpp"

namespace gw::broker {

// MQTT 5 §3.8.4 [MQTT-3.8.4-3]: a SUBSCRIBE to a filter identical to an existing subscription's
// filter by the same session replaces that subscription.
enum class SubscribeResult : std::uint8_t { Added, Replaced };

class TopicTree {
 public:
  TopicTree();
  ~TopicTree();
  TopicTree(const TopicTree&) = delete;
  TopicTree& operator=(const TopicTree&) = delete;
  TopicTree(TopicTree&&) noexcept;
  TopicTree& operator=(TopicTree&&) noexcept;

  // Adds or replaces the subscription of `subscriber` to `filter`. A filter of the form
  // $share/{group}/{f} is a shared subscription to f in that group; a subscriber's shared and
  // non-shared subscriptions (and those in different groups) are independent of each other.
  // Replacing keeps a shared member's place in the round-robin order. Added vs Replaced is what
  // RetainHandling::SendOnNewSubscribe needs (MQTT 5 §3.8.4).
  // Errors: none (the filter is already validated).
  SubscribeResult subscribe(std::string_view filter, SubscriberId subscriber,
                            const SubscriptionOptions& options);

  // Removes the subscription of `subscriber` to exactly `filter` (shared form included) and prunes
  // the nodes left empty. Returns false when there was none (MQTT 5 UNSUBACK reason 0x11,
  // No subscription existed).
  bool unsubscribe(std::string_view filter, SubscriberId subscriber);

  // Removes every subscription of `subscriber` (its session ended). Returns how many.
  std::size_t remove_all(SubscriberId subscriber);

  // Calls visit(const Match&) once per matching non-shared subscription, and once per matching
  // share group with ONE member of it chosen round-robin (in the order members joined).
  // A subscriber with several overlapping filters is visited once per filter; use
  // SubscriptionAggregator to turn that into one delivery (MQTT 5 §3.3.4).
  // `topic` is a topic name (no wildcards). The visitor must not modify the tree; it may call
  // match() again. No heap allocation in the steady state.
  template <class F>
  requires std::is_invocable_v<F&, const Match&>
  void match(std::string_view topic, F&& visit) {
    using Fn = std::remove_reference_t<F>;
    match_impl(topic, Visitor{const_cast<void*>(static_cast<const void*>(std::addressof(visit))),
                              [](void* ctx, const Match& m) { (*static_cast<Fn*>(ctx))(m); }});
  }

  // Same, into a caller-owned buffer that is cleared first; reusing the buffer across calls keeps
  // the steady state allocation-free.
  void match(std::string_view topic, std::vector<Match>& out);

  // How well a shared-group member can take a message on a topic (MQTT 5 §4.8.2: a message goes
  // to one member that can receive it). The owner decides: the broker ranks a connected member
  // Ready, an offline one (whose session queues) Later, and one the ACL denies the topic None.
  enum class MemberRank { None = 0, Later = 1, Ready = 2 };
  using RankMember = std::function<MemberRank(SubscriberId, std::string_view topic)>;
  // Shared groups pick, in round-robin order, the next member with the best rank; with no ranker,
  // or when every member ranks None, plain round robin.
  void set_member_rank(RankMember rank) { rank_ = std::move(rank); }

  // Subscriptions held: non-shared ones plus shared-group memberships. For $SYS and limits.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // Shared-group memberships only (included in size()).
  [[nodiscard]] std::size_t shared_size() const noexcept { return shared_size_; }
  // Distinct subscribers with at least one subscription.
  [[nodiscard]] std::size_t subscriber_count() const noexcept { return by_subscriber_.size(); }
  // Subscriptions held by one subscriber.
  [[nodiscard]] std::size_t subscription_count(SubscriberId subscriber) const;
  // `subscriber` holds a subscription to exactly `filter` ($share prefix included). Linear in
  // the subscriber's subscriptions.
  [[nodiscard]] bool holds(SubscriberId subscriber, std::string_view filter) const;
  // Trie nodes below the root; exposed so that tests and metrics can see pruning work.
  [[nodiscard]] std::size_t node_count() const noexcept { return node_count_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

 private:
  struct Node;

  // A non-owning, allocation-free callable reference (the match visitor).
  struct Visitor {
    void* ctx;
    void (*fn)(void* ctx, const Match& m);
    void operator()(const Match& m) const { fn(ctx, m); }
  };

  // One pending branch of the match walk: `node` has matched the levels before `pos`.
  struct Frame {
    Node* node;
    std::size_t pos;
  };

  void match_impl(std::string_view topic, Visitor visit);
  void yield_node(Node& node, std::string_view topic, Visitor visit);
  bool remove_subscription(std::string_view filter, SubscriberId subscriber);
  Node* find_node(std::string_view filter);
  void prune(std::string_view filter);

  std::unique_ptr<Node> root_;
  RankMember rank_;
  std::vector<Frame> stack_;  // scratch for match(); reused, grows only
  // Every filter (as given, $share prefix included) each subscriber holds, for remove_all().
  std::unordered_map<SubscriberId, std::vector<std::string>> by_subscriber_;
  std::size_t size_ = 0;
  std::size_t shared_size_ = 0;
  std::size_t node_count_ = 0;
};

}  // namespace gw::broker
