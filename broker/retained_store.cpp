#include "broker/retained_store.hpp"

#include <functional>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/check.hpp"

namespace gw::broker {

namespace {

constexpr std::size_t kEnd = std::string_view::npos;

// Transparent hash so that a level can be looked up as a string_view without building a string.
struct LevelHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// The level of `s` that starts at `pos` (< kEnd), and where the next one starts (kEnd: none).
// Empty levels are levels: "a//b" is "a", "", "b" (MQTT 5 §4.7.1.1).
std::pair<std::string_view, std::size_t> level_at(std::string_view s, std::size_t pos) {
  const std::size_t slash = s.find('/', pos);
  if (slash == kEnd) return {s.substr(pos), kEnd};
  return {s.substr(pos, slash - pos), slash + 1};
}

}  // namespace

struct RetainedStore::Node {
  std::unordered_map<std::string, std::unique_ptr<Node>, LevelHash, std::equal_to<>> children;
  std::shared_ptr<const Message> message;  // null: no retained message on this exact topic
  time_point stored_at{};
  std::size_t bytes = 0;
  std::optional<std::multimap<time_point, Node*>::iterator> expiry;  // entry in expiry_, if any

  [[nodiscard]] bool empty() const noexcept { return children.empty() && !message; }

  Node* child(std::string_view level) const {
    const auto it = children.find(level);
    return it == children.end() ? nullptr : it->second.get();
  }

  [[nodiscard]] bool expired(time_point now) const noexcept {
    return expiry && (*expiry)->first <= now;
  }
};

RetainedStore::RetainedStore() : root_(std::make_unique<Node>()) {}
RetainedStore::~RetainedStore() = default;
RetainedStore::RetainedStore(RetainedStore&&) noexcept = default;
RetainedStore& RetainedStore::operator=(RetainedStore&&) noexcept = default;

std::size_t RetainedStore::message_bytes(const Message& message) noexcept {
  const MessageProps& p = message.props;
  std::size_t n = message.topic.size() + message.payload.size();
  if (p.content_type) n += p.content_type->size();
  if (p.response_topic) n += p.response_topic->size();
  if (p.correlation_data) n += p.correlation_data->size();
  for (const UserProperty& u : p.user) n += u.name.size() + u.value.size();
  return n;
}

RetainResult RetainedStore::retain(std::shared_ptr<const Message> message, time_point now) {
  GW_CHECK(message != nullptr);
  // MQTT 5 §3.3.1.3 [MQTT-3.3.1-6], [MQTT-3.3.1-7]: an empty payload removes the retained message
  // and is not itself retained.
  if (message->payload.empty()) {
    return erase(message->topic) ? RetainResult::Deleted : RetainResult::NothingToDelete;
  }

  Node* node = root_.get();
  for (std::size_t pos = 0; pos != kEnd;) {
    const auto [level, next] = level_at(message->topic, pos);
    auto it = node->children.find(level);
    if (it == node->children.end()) {
      it = node->children.emplace(std::string(level), std::make_unique<Node>()).first;
      ++node_count_;
    }
    node = it->second.get();
    pos = next;
  }

  const bool replaced = node->message != nullptr;
  if (replaced) clear_message(*node);
  node->stored_at = now;
  node->bytes = message_bytes(*message);
  if (message->props.message_expiry) {
    node->expiry =
        expiry_.emplace(now + std::chrono::seconds(*message->props.message_expiry), node);
  }
  node->message = std::move(message);
  ++size_;
  bytes_ += node->bytes;
  return replaced ? RetainResult::Replaced : RetainResult::Stored;
}

void RetainedStore::clear_message(Node& node) {
  GW_ASSERT(node.message != nullptr);
  if (node.expiry) {
    expiry_.erase(*node.expiry);
    node.expiry.reset();
  }
  node.message.reset();
  bytes_ -= node.bytes;
  node.bytes = 0;
  --size_;
}

bool RetainedStore::erase(std::string_view topic) {
  // Keep the path so that nodes left empty can be pruned bottom-up. Not a hot path.
  std::vector<std::pair<Node*, std::string_view>> path;  // (parent, level of its child)
  Node* node = root_.get();
  for (std::size_t pos = 0; pos != kEnd;) {
    const auto [level, next] = level_at(topic, pos);
    Node* child = node->child(level);
    if (child == nullptr) return false;
    path.emplace_back(node, level);
    node = child;
    pos = next;
  }
  if (!node->message) return false;
  // `topic` may view the message being removed: keep it alive until the pruning is done.
  const std::shared_ptr<const Message> keep = node->message;
  clear_message(*node);
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    Node* parent = it->first;
    const auto child = parent->children.find(it->second);
    if (!child->second->empty()) break;
    parent->children.erase(child);
    --node_count_;
  }
  return true;
}

RetainedStore::Node* RetainedStore::find_node(std::string_view topic) {
  Node* node = root_.get();
  for (std::size_t pos = 0; node != nullptr && pos != kEnd;) {
    const auto [level, next] = level_at(topic, pos);
    node = node->child(level);
    pos = next;
  }
  return node;
}

std::shared_ptr<const Message> RetainedStore::find(std::string_view topic, time_point now) {
  Node* node = find_node(topic);
  if (node == nullptr || !node->message) return nullptr;
  if (node->expired(now)) {
    const std::shared_ptr<const Message> keep = node->message;
    erase(keep->topic);
    return nullptr;
  }
  return node->message;
}

void RetainedStore::visit_node(Node& node, time_point now, Visitor visit) {
  if (!node.message) return;
  if (node.expired(now)) {
    expired_.push_back(node.message);
    return;
  }
  std::optional<std::uint32_t> remaining;
  if (const auto interval = node.message->props.message_expiry) {
    // Whole seconds waited, rounded down, so the receiver never gets 0 for a live message.
    const auto waited =
        std::chrono::duration_cast<std::chrono::seconds>(now - node.stored_at).count();
    remaining = *interval - static_cast<std::uint32_t>(waited > 0 ? waited : 0);
  }
  visit(RetainedMatch{node.message, node.stored_at, remaining});
}

void RetainedStore::match_impl(std::string_view filter, time_point now, Visitor visit) {
  // [MQTT-4.7.2-1]: a filter starting with a wildcard must not match a topic starting with '$'.
  // Only the root's children carry the first level, so the rule applies there alone.
  const auto skip_at_root = [this](const Node& parent, std::string_view key) {
    return &parent == root_.get() && key.starts_with('$');
  };

  // Depth-first over an explicit stack rather than recursion: the depth is bounded by the deepest
  // topic, which clients choose.
  const std::size_t base = stack_.size();
  stack_.push_back(Frame{root_.get(), 0, false});
  while (stack_.size() > base) {
    const Frame frame = stack_.back();
    stack_.pop_back();
    Node& node = *frame.node;

    if (frame.subtree) {
      visit_node(node, now, visit);
      for (auto& [key, child] : node.children) {
        if (!skip_at_root(node, key)) stack_.push_back(Frame{child.get(), kEnd, true});
      }
      continue;
    }
    if (frame.pos == kEnd) {
      visit_node(node, now, visit);
      continue;
    }

    const auto [level, next] = level_at(filter, frame.pos);
    if (level == "#") {
      // MQTT 5 §4.7.1.2: '#' matches the parent level too ("sport/#" matches "sport"); the root
      // stands for no topic and never holds a message.
      stack_.push_back(Frame{&node, kEnd, true});
    } else if (level == "+") {
      for (auto& [key, child] : node.children) {
        if (!skip_at_root(node, key)) stack_.push_back(Frame{child.get(), next, false});
      }
    } else if (Node* child = node.child(level)) {
      stack_.push_back(Frame{child, next, false});
    }
  }
  // A nested match() from a visitor leaves the removal to the outermost one, so no node goes
  // away under a walk.
  if (base == 0) remove_expired_queue();
}

void RetainedStore::remove_expired_queue() {
  // By topic, not node: erasing one message may prune nodes, and a nested match() may have queued
  // the same message twice (the second erase then finds nothing).
  for (const auto& message : expired_) erase(message->topic);
  expired_.clear();
}

std::size_t RetainedStore::purge_expired(time_point now) {
  std::size_t removed = 0;
  while (!expiry_.empty() && expiry_.begin()->first <= now) {
    const std::shared_ptr<const Message> keep = expiry_.begin()->second->message;
    erase(keep->topic);
    ++removed;
  }
  return removed;
}

std::optional<RetainedStore::time_point> RetainedStore::next_expiry() const {
  if (expiry_.empty()) return std::nullopt;
  return expiry_.begin()->first;
}

void RetainedStore::for_each(const std::function<void(const RetainedMatch&)>& visit) const {
  std::vector<const Node*> pending{root_.get()};
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    if (node->message) visit(RetainedMatch{node->message, node->stored_at, std::nullopt});
    for (const auto& [level, child] : node->children) pending.push_back(child.get());
  }
}

}  // namespace gw::broker
