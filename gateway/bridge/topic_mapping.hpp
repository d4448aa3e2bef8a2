// bridge::TopicMapping: how a route turns a topic on one side of the bridge into the topic on the
// other side.
//
//   strip_prefix  removed from the start of the source topic first, when it is there;
//   target        with "{topic}": every "{topic}" is replaced by the (stripped) topic
//                 ("cloud/{topic}/data"); without it: a prefix put in front ("site-7/").
//                 Empty = the stripped topic unchanged.
//
//   TopicMapping{.target = "site-7/"}.apply("boiler/temp")            → "site-7/boiler/temp"
//   TopicMapping{.strip_prefix = "cmd/", .target = "plant/{topic}/set"}.apply("cmd/valve")
//                                                                       → "plant/valve/set"
//
// Thread safety: a value type; apply() is pure.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace gw::bridge {

struct TopicMapping {
  std::string strip_prefix;
  std::string target;

  // The mapped topic. Errors: MqttErrc::TopicNameInvalid when the result is not a valid topic name
  // (empty, wildcards, NUL, longer than 65,535 bytes, bad UTF-8).
  [[nodiscard]] Result<std::string> apply(std::string_view topic) const;

  friend bool operator==(const TopicMapping&, const TopicMapping&) = default;
};

}  // namespace gw::bridge
