// broker::auth::Acl: who may publish to, subscribe to and receive from which topics.
//
//   broker:
//     acl:
//       - {user: hmi-1, topic: "plant-1/#", allow: [subscribe, receive]}
//       - {topic: "devices/%c/#", allow: [publish, subscribe, receive]}
//       - {user: guest, topic: "plant-1/secret/#", deny: [receive]}
//
// Rules are tried in order; the first rule whose user, client id, access and topic match decides
// (allow or deny); when none matches, the access is denied. Without any rule the broker allows
// everything (an ACL is opt-in). A rule without `user` and `client_id` applies to every client,
// anonymous ones included.
//
// `topic` is an MQTT topic filter (`+`, `#`). A whole level `%u` stands for the client's user name
// and `%c` for its client id; an allow rule with `%u` never matches an anonymous client, and a
// name or id that starts with `$` or contains `/`, `+` or `#` never stands for a level (a client
// called `#` gets nothing by it); a deny rule that cannot be expanded for a client denies. The
// client id is chosen by the client: `%c` separates well-behaved devices, it isolates nothing.
// Accesses:
//  - publish: the topic of a PUBLISH (and of a will) matches the rule's filter;
//  - subscribe: an allow rule grants a filter when every topic it can match is matched by the
//    rule's filter (`plant-1/+/temp` is inside `plant-1/#`; `#` is not); a deny rule refuses a
//    filter that could match any topic of the rule's; for a shared subscription the filter
//    after `$share/<group>/` counts;
//  - receive: a message is delivered only when its topic is allowed (checked per message, so
//    a broad subscription delivers only what the client may read, retained messages included).
//
// Thread safety: immutable after construction; checks are reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw::broker::auth {

enum class Access : std::uint8_t { Publish = 1, Subscribe = 2, Receive = 4 };

struct AclRule {
  std::optional<std::string> user;       // exact user name; nullopt: any client
  std::optional<std::string> client_id;  // exact client id; nullopt: any client
  std::string topic;                     // filter; may hold %u / %c levels
  std::uint8_t access = 0;               // bits of Access
  bool deny = false;                     // a deny rule; otherwise allow

  friend bool operator==(const AclRule&, const AclRule&) = default;
};

// Who is asking: the verified user name (nullopt for an anonymous client) and the client id.
struct Principal {
  std::optional<std::string_view> user;
  std::string_view client_id;
};

class Acl {
 public:
  explicit Acl(std::vector<AclRule> rules) : rules_(std::move(rules)) {}

  [[nodiscard]] bool empty() const { return rules_.empty(); }
  // Publish or Receive of a topic name.
  [[nodiscard]] bool allows(const Principal& who, Access access, std::string_view topic) const;
  // Subscribe with a topic filter (a shared one included).
  [[nodiscard]] bool allows_subscribe(const Principal& who, std::string_view filter) const;

 private:
  std::vector<AclRule> rules_;
};

// MQTT topic matching on plain strings (MQTT 5 §4.7, including the `$` rule).
[[nodiscard]] bool filter_matches(std::string_view filter, std::string_view topic);
// Whether every topic that `inner` matches is also matched by `outer`.
[[nodiscard]] bool filter_covers(std::string_view outer, std::string_view inner);
// Whether some topic is matched by both filters.
[[nodiscard]] bool filters_overlap(std::string_view a, std::string_view b);

}  // namespace gw::broker::auth
