#include "gateway/bridge/topic_mapping.hpp"

#include "broker/protocol/topic_name.hpp"
#include "core/mqtt_errc.hpp"

namespace gw::bridge {

namespace {
constexpr std::string_view kPlaceholder = "{topic}";
}  // namespace

Result<std::string> TopicMapping::apply(std::string_view topic) const {
  if (!strip_prefix.empty() && topic.starts_with(strip_prefix)) topic.remove_prefix(strip_prefix.size());

  std::string out;
  if (target.find(kPlaceholder) == std::string::npos) {
    out.reserve(target.size() + topic.size());
    out.append(target).append(topic);
  } else {
    out.reserve(target.size() + topic.size());
    std::string_view rest = target;
    for (auto at = rest.find(kPlaceholder); at != std::string_view::npos; at = rest.find(kPlaceholder)) {
      out.append(rest.substr(0, at)).append(topic);
      rest.remove_prefix(at + kPlaceholder.size());
    }
    out.append(rest);
  }
  // Validates (wildcards, empty, UTF-8, length) with the broker's own rules.
  auto name = broker::protocol::TopicName::make(out);
  if (!name) return fail(MqttErrc::TopicNameInvalid);
  return out;
}

}  // namespace gw::bridge
