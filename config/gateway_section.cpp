#include "config/gateway_section.hpp"

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
      }};
  return schema;
}

}  // namespace gw::config
