#include "broker/topic_tree.hpp"

#include <algorithm>
#include <functional>

#include "core/check.hpp"

namespace gw::broker {

namespace {

constexpr std::size_t kEnd = std::string_view::npos;
constexpr std::string_view kSharePrefix = "$share/";

// Transparent hash so that a level can be looked up as a string_view without building a string.
struct LevelHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// Splits a topic name or filter into levels without copying: "a//b" is "a", "", "b" and "/a" is
// "", "a" (MQTT 5 §4.7.1.1: empty levels are levels).
class Levels {
 public:
  explicit Levels(std::string_view s) : s_(s) {}

  bool next(std::string_view& level) {
    if (pos_ == kEnd) return false;
    const std::size_t slash = s_.find('/', pos_);
    if (slash == kEnd) {
      level = s_.substr(pos_);
      pos_ = kEnd;
    } else {
      level = s_.substr(pos_, slash - pos_);
      pos_ = slash + 1;
    }
    return true;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

struct SplitFilter {
  std::string_view group;  // empty: not shared
  std::string_view filter;
};

// MQTT 5 §4.8.2: $share/{ShareName}/{filter}. The codec has checked that ShareName is non-empty,
// has no wildcards and is followed by '/' and a filter.
SplitFilter split_share(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) return {{}, filter};
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  GW_ASSERT(slash != kEnd && slash > 0);
  if (slash == kEnd) return {rest, {}};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

}  // namespace

struct TopicTree::Node {
  struct Sub {
    SubscriberId subscriber;
    SubscriptionOptions options;
  };
  struct ShareGroup {
    std::string name;
    std::vector<Sub> members;  // in the order they joined: the round-robin order
    std::size_t next = 0;      // member to pick next
  };

  // Wildcard children live apart from the named ones so that match() reaches them without a
  // lookup; a named level is never "+" or "#" (the codec rejects wildcards mixed into a level).
  std::unordered_map<std::string, std::unique_ptr<Node>, LevelHash, std::equal_to<>> children;
  std::unique_ptr<Node> plus;
  std::unique_ptr<Node> hash;
  std::vector<Sub> subs;  // non-shared, sorted by subscriber
  std::vector<ShareGroup> groups;

  [[nodiscard]] bool empty() const noexcept {
    return children.empty() && !plus && !hash && subs.empty() && groups.empty();
  }

  Node* child(std::string_view level) const {
    if (level == "+") return plus.get();
    if (level == "#") return hash.get();
    const auto it = children.find(level);
    return it == children.end() ? nullptr : it->second.get();
  }

  // Returns the child for `level`, creating it if needed; `created` tells which.
  Node& child_or_create(std::string_view level, bool& created) {
    std::unique_ptr<Node>* slot = nullptr;
    if (level == "+") {
      slot = &plus;
    } else if (level == "#") {
      slot = &hash;
    } else {
      auto it = children.find(level);
      if (it == children.end()) it = children.emplace(std::string(level), nullptr).first;
      slot = &it->second;
    }
    created = *slot == nullptr;
    if (created) *slot = std::make_unique<Node>();
    return **slot;
  }

  void erase_child(std::string_view level) {
    if (level == "+") {
      plus.reset();
    } else if (level == "#") {
      hash.reset();
    } else if (const auto it = children.find(level); it != children.end()) {
      children.erase(it);
    }
  }
};

TopicTree::TopicTree() : root_(std::make_unique<Node>()) {}
TopicTree::~TopicTree() = default;
TopicTree::TopicTree(TopicTree&&) noexcept = default;
TopicTree& TopicTree::operator=(TopicTree&&) noexcept = default;

SubscribeResult TopicTree::subscribe(std::string_view filter, SubscriberId subscriber,
                                     const SubscriptionOptions& options) {
  const auto [group, plain] = split_share(filter);
  Node* node = root_.get();
  Levels levels(plain);
  std::string_view level;
  while (levels.next(level)) {
    bool created = false;
    node = &node->child_or_create(level, created);
    if (created) ++node_count_;
  }

  if (group.empty()) {
    auto& subs = node->subs;
    const auto it =
        std::lower_bound(subs.begin(), subs.end(), subscriber,
                         [](const Node::Sub& s, SubscriberId id) { return s.subscriber < id; });
    if (it != subs.end() && it->subscriber == subscriber) {
      it->options = options;
      return SubscribeResult::Replaced;
    }
    subs.insert(it, Node::Sub{subscriber, options});
  } else {
    auto git = std::find_if(node->groups.begin(), node->groups.end(),
                            [&, group_name = group](const Node::ShareGroup& g) { return g.name == group_name; });
    if (git == node->groups.end()) {
      node->groups.push_back(Node::ShareGroup{std::string(group), {}, 0});
      git = std::prev(node->groups.end());
    }
    auto& members = git->members;
    const auto mit = std::find_if(members.begin(), members.end(),
                                  [&](const Node::Sub& s) { return s.subscriber == subscriber; });
    if (mit != members.end()) {
      mit->options = options;
      return SubscribeResult::Replaced;
    }
    members.push_back(Node::Sub{subscriber, options});
    ++shared_size_;
  }
  ++size_;
  by_subscriber_[subscriber].emplace_back(filter);
  return SubscribeResult::Added;
}

bool TopicTree::unsubscribe(std::string_view filter, SubscriberId subscriber) {
  if (!remove_subscription(filter, subscriber)) return false;
  const auto it = by_subscriber_.find(subscriber);
  GW_CHECK(it != by_subscriber_.end());
  auto& filters = it->second;
  const auto fit = std::find(filters.begin(), filters.end(), filter);
  GW_CHECK(fit != filters.end());
  *fit = std::move(filters.back());
  filters.pop_back();
  if (filters.empty()) by_subscriber_.erase(it);
  return true;
}

std::size_t TopicTree::remove_all(SubscriberId subscriber) {
  auto handle = by_subscriber_.extract(subscriber);
  if (handle.empty()) return 0;
  std::size_t removed = 0;
  for (const auto& filter : handle.mapped()) {
    const bool existed = remove_subscription(filter, subscriber);
    GW_CHECK(existed);  // the index and the trie must agree
    ++removed;
  }
  return removed;
}

bool TopicTree::remove_subscription(std::string_view filter, SubscriberId subscriber) {
  const auto [group, plain] = split_share(filter);
  Node* node = find_node(plain);
  if (node == nullptr) return false;

  if (group.empty()) {
    auto& subs = node->subs;
    const auto it =
        std::lower_bound(subs.begin(), subs.end(), subscriber,
                         [](const Node::Sub& s, SubscriberId id) { return s.subscriber < id; });
    if (it == subs.end() || it->subscriber != subscriber) return false;
    subs.erase(it);
  } else {
    auto& groups = node->groups;
    const auto git = std::find_if(groups.begin(), groups.end(),
                                  [&, group_name = group](const Node::ShareGroup& g) { return g.name == group_name; });
    if (git == groups.end()) return false;
    auto& members = git->members;
    const auto mit = std::find_if(members.begin(), members.end(),
                                  [&](const Node::Sub& s) { return s.subscriber == subscriber; });
    if (mit == members.end()) return false;
    // Keep the cursor on the member that was due next, so removal does not skip anyone.
    const auto index = static_cast<std::size_t>(mit - members.begin());
    members.erase(mit);
    if (index < git->next) --git->next;
    if (git->next >= members.size()) git->next = 0;
    if (members.empty()) groups.erase(git);
    --shared_size_;
  }
  --size_;
  prune(plain);
  return true;
}

TopicTree::Node* TopicTree::find_node(std::string_view filter) {
  Node* node = root_.get();
  Levels levels(filter);
  std::string_view level;
  while (node != nullptr && levels.next(level)) node = node->child(level);
  return node;
}

void TopicTree::prune(std::string_view filter) {
  // Not a hot path: unsubscribe and session end only.
  std::vector<std::pair<Node*, std::string_view>> path;  // (parent, level of its child)
  Node* node = root_.get();
  Levels levels(filter);
  std::string_view level;
  while (levels.next(level)) {
    Node* child = node->child(level);
    GW_CHECK(child != nullptr);
    path.emplace_back(node, level);
    node = child;
  }
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    Node* parent = it->first;
    if (!parent->child(it->second)->empty()) break;
    parent->erase_child(it->second);
    --node_count_;
  }
}

void TopicTree::match(std::string_view topic, std::vector<Match>& out) {
  out.clear();
  match(topic, [&out](const Match& m) { out.push_back(m); });
}

void TopicTree::yield_node(Node& node, std::string_view topic, Visitor visit) {
  for (const auto& s : node.subs) visit(Match{s.subscriber, s.options, {}});
  for (auto& g : node.groups) {
    GW_ASSERT(!g.members.empty());
    if (g.next >= g.members.size()) g.next = 0;
    // Round robin, skipping members the owner ranks lower (MQTT 5 §4.8.2: a message goes to one
    // member that can receive it): the first Ready member in turn, else the first Later one,
    // else the next in turn.
    std::size_t pick = g.next;
    if (rank_) {
      MemberRank best = MemberRank::None;
      for (std::size_t i = 0; i < g.members.size() && best != MemberRank::Ready; ++i) {
        const std::size_t candidate = (g.next + i) % g.members.size();
        const MemberRank r = rank_(g.members[candidate].subscriber, topic);
        if (r > best) {
          best = r;
          pick = candidate;
        }
      }
    }
    const Node::Sub& chosen = g.members[pick];
    g.next = (pick + 1) % g.members.size();
    visit(Match{chosen.subscriber, chosen.options, g.name});
  }
}

void TopicTree::match_impl(std::string_view topic, Visitor visit) {
  // [MQTT-4.7.2-1]: a filter starting with a wildcard must not match a topic starting with '$'.
  const bool dollar = topic.starts_with('$');
  // Depth-first over an explicit stack rather than recursion: the depth is bounded by the deepest
  // filter, which clients choose. Frames are indices into topic, so a visitor that calls match()
  // again (and grows stack_) invalidates nothing we hold.
  const std::size_t base = stack_.size();
  stack_.push_back(Frame{root_.get(), 0});
  while (stack_.size() > base) {
    const Frame frame = stack_.back();
    stack_.pop_back();
    Node& node = *frame.node;

    if (frame.pos == kEnd) {
      yield_node(node, topic, visit);
      // MQTT 5 §4.7.1.2: "sport/#" also matches "sport", the parent level.
      if (node.hash) yield_node(*node.hash, topic, visit);
      continue;
    }

    const std::size_t slash = topic.find('/', frame.pos);
    const std::string_view level =
        slash == kEnd ? topic.substr(frame.pos) : topic.substr(frame.pos, slash - frame.pos);
    const std::size_t next = slash == kEnd ? kEnd : slash + 1;
    const bool wildcards = !(dollar && frame.pos == 0);

    if (wildcards && node.hash) yield_node(*node.hash, topic, visit);
    if (wildcards && node.plus) stack_.push_back(Frame{node.plus.get(), next});
    if (!node.children.empty()) {
      const auto it = node.children.find(level);
      if (it != node.children.end()) stack_.push_back(Frame{it->second.get(), next});
    }
  }
}

std::size_t TopicTree::subscription_count(SubscriberId subscriber) const {
  const auto it = by_subscriber_.find(subscriber);
  return it == by_subscriber_.end() ? 0 : it->second.size();
}

bool TopicTree::holds(SubscriberId subscriber, std::string_view filter) const {
  const auto it = by_subscriber_.find(subscriber);
  if (it == by_subscriber_.end()) return false;
  return std::find(it->second.begin(), it->second.end(), filter) != it->second.end();
}

}  // namespace gw::broker
