#include "broker/protocol/topic_name.hpp"

#include "broker/protocol/utf8.hpp"
#include "core/mqtt_errc.hpp"

namespace gw::broker::protocol {

Result<TopicName> TopicName::make(std::string text) {
  // MQTT 5 §4.7.3 [MQTT-4.7.3-1]: all Topic Names are at least one character long.
  if (text.empty() || text.size() > kMaxTopicLength) return fail(MqttErrc::TopicNameInvalid);
  // MQTT 5 §3.3.2.1 [MQTT-3.3.2-2] / §4.7.1: wildcards belong to Topic Filters only.
  if (text.find_first_of("+#") != std::string::npos) return fail(MqttErrc::TopicNameInvalid);
  if (!is_valid_mqtt_utf8(text)) return fail(MqttErrc::TopicNameInvalid);
  return TopicName(std::move(text));
}

}  // namespace gw::broker::protocol
