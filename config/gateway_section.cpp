#include "config/gateway_section.hpp"

#include "gateway/topic_template.hpp"

namespace gw::config {

const Schema<gateway::GatewayOptions>& gateway_schema() {
  using O = gateway::GatewayOptions;
  using core::LogLevel;
  static const Schema<O> schema{
      "gateway",
      {
          field("id", &O::id, Identifier{64},
                "Names this gateway: first level of every default topic and stem of the bridge's "
                "client id."),
          field("data_dir", &O::data_dir, Text{1},
                "Directory for persistent state (bridge outbox, retained messages); must be "
                "writable by the service user."),
          field("log_level", &O::log_level,
                Enum<LogLevel>{{{"trace", LogLevel::Trace},
                                {"debug", LogLevel::Debug},
                                {"info", LogLevel::Info},
                                {"warn", LogLevel::Warn},
                                {"error", LogLevel::Error},
                                {"critical", LogLevel::Critical},
                                {"off", LogLevel::Off}}},
                "Least severe level that is logged."),
          field("topic", &O::topic, Text{1, 1024},
                "Topic of a point's readings: levels {gateway}, {link}, {device}, {point} "
                "({point} last) and literal levels."),
          field("payload", &O::payload,
                Enum<O::Payload>{{{"per_point", O::Payload::PerPoint},
                                  {"per_device", O::Payload::PerDevice}}},
                "per_point: one message per point; per_device: one message per device and poll, "
                "on the topic without {point}."),
          field("status_topic", &O::status_topic, Optional<TopicNameText>{{.allow_empty = true},
                                                                          "<id>/status"},
                "Retained online/offline status of the gateway itself; \"\" = none."),
      },
      [](const O& o, const YAML::Node& node, const Cursor& at) {
        if (auto why = gateway::check_topic_template(o.topic)) {
          const YAML::Node v = detail::find_value(node, "topic");
          at.key("topic", {}).error(v.IsDefined() ? v.Mark() : node.Mark(), *why);
        }
      }};
  return schema;
}

}  // namespace gw::config
