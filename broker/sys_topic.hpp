// broker::is_sys_topic: the `$SYS/` tree belongs to the broker. The gateway publishes its
// statistics there (gateway/sys_topics.hpp); clients may subscribe to it but never publish into
// it. Like every topic starting with '$', it is not matched by a filter that starts with a
// wildcard (MQTT 5 §4.7.2 [MQTT-4.7.2-1]): `#` and `+/...` subscribers do not see it.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

namespace gw::broker {

inline constexpr std::string_view kSysTopicRoot = "$SYS";

// "$SYS" itself and everything below it; "$SYSTEM/x" and "$sys/x" are other topics.
[[nodiscard]] constexpr bool is_sys_topic(std::string_view topic) noexcept {
  return topic.starts_with(kSysTopicRoot) &&
         (topic.size() == kSysTopicRoot.size() || topic[kSysTopicRoot.size()] == '/');
}

}  // namespace gw::broker
