// broker::SubscriptionAggregator: turns the Matches that TopicTree::match yields for one
// published message into Deliveries, one per copy the broker should send.
//
// Rules applied (MQTT 5):
// - §3.3.4: a subscriber matched by several overlapping non-shared subscriptions gets ONE copy,
//   at the maximum QoS of those subscriptions, carrying the Subscription Identifiers of all of
//   them that have one (order not significant). The caller still caps QoS by the published QoS.
// - §3.8.3.1 No Local [MQTT-3.8.3-3]: a non-shared subscription with no_local set does not match
//   messages published by the same subscriber; it is dropped here, before merging (so another
//   overlapping subscription without no_local still delivers). No Local on a shared subscription
//   is a Protocol Error [MQTT-3.8.3-4] that the codec rejects, so shared matches ignore it.
// - §3.8.3.1 Retain As Published: the merged copy keeps the RETAIN flag if ANY of the merged
//   subscriptions has retain_as_published (the spec is silent on mixed cases; keeping the flag
//   loses no information the subscriber asked for).
// - §4.8.2: shared-subscription deliveries are never merged with anything: a subscriber that holds
//   a non-shared subscription and is chosen in a share group gets two copies.
//
// Usage, per published message:
//   agg.reset(publisher);
//   tree.match(topic, agg.visitor());
//   for (const Delivery& d : agg.finish()) { ... }
// Buffers are reused: no heap allocation in the steady state.
//
// Ownership: owns its buffers. Delivery::subscription_ids views the aggregator and
// Delivery::share_group views the TopicTree: valid until the next reset()/add() or tree change.
// Thread safety: core thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "broker/subscription.hpp"

namespace gw::broker {

// One copy of a message to send to one subscriber.
struct Delivery {
  SubscriberId subscriber{};
  QoS max_qos = QoS::AtMostOnce;                    // maximum over the merged subscriptions
  bool retain_as_published = false;                 // any of the merged subscriptions asked for it
  std::string_view share_group;                     // non-empty: a shared-subscription delivery
  std::span<const std::uint32_t> subscription_ids;  // to put in the outgoing PUBLISH

  [[nodiscard]] bool shared() const noexcept { return !share_group.empty(); }
};

class SubscriptionAggregator {
 public:
  // Starts a new message. `publisher` is the publishing session, or nullopt when the message does
  // not come from a subscriber of this tree (adapters, the bridge, $SYS).
  void reset(std::optional<SubscriberId> publisher) {
    publisher_ = publisher;
    matches_.clear();
    deliveries_.clear();
    ids_.clear();
  }

  void add(const Match& m) {
    if (!m.shared() && m.options.no_local && publisher_ == m.subscriber) return;
    matches_.push_back(m);
  }

  // A visitor for TopicTree::match that feeds add().
  [[nodiscard]] auto visitor() {
    return [this](const Match& m) { add(m); };
  }

  // Merges what was added since reset(). Deliveries come ordered: non-shared by subscriber, then
  // shared ones.
  std::span<const Delivery> finish() {
    deliveries_.clear();
    ids_.clear();
    // Each match contributes at most one id: reserving up front keeps the spans below stable.
    ids_.reserve(matches_.size());
    // std::sort, not stable_sort: it does not allocate, and id order is not significant.
    std::sort(matches_.begin(), matches_.end(), [](const Match& a, const Match& b) {
      if (a.shared() != b.shared()) return !a.shared();
      return a.subscriber < b.subscriber;
    });
    for (std::size_t i = 0; i < matches_.size();) {
      const Match& first = matches_[i];
      const std::size_t ids_begin = ids_.size();
      Delivery d{first.subscriber,
                 first.options.max_qos,
                 first.options.retain_as_published,
                 first.share_group,
                 {}};
      std::size_t j = i;
      do {
        const Match& m = matches_[j];
        d.max_qos = std::max(d.max_qos, m.options.max_qos);
        d.retain_as_published = d.retain_as_published || m.options.retain_as_published;
        if (m.options.subscription_id) ids_.push_back(*m.options.subscription_id);
        ++j;
      } while (!first.shared() && j < matches_.size() && !matches_[j].shared() &&
               matches_[j].subscriber == first.subscriber);
      d.subscription_ids =
          std::span<const std::uint32_t>(ids_.data() + ids_begin, ids_.size() - ids_begin);
      deliveries_.push_back(d);
      i = j;
    }
    return deliveries_;
  }

 private:
  std::optional<SubscriberId> publisher_;
  std::vector<Match> matches_;
  std::vector<Delivery> deliveries_;
  std::vector<std::uint32_t> ids_;
};

}  // namespace gw::broker
