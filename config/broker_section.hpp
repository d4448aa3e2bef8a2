// The `broker:` section → broker::BrokerOptions. Keys, defaults and the reasons for them:
// docs/configuration.md.
#pragma once

#include "broker/options.hpp"
#include "config/schema.hpp"
#include "gateway/options.hpp"

namespace gw::config {

[[nodiscard]] const Schema<broker::ListenerTlsOptions>& listener_tls_schema();
[[nodiscard]] const Schema<broker::ListenerOptions>& listener_schema();
[[nodiscard]] const Schema<broker::BrokerOptions>& broker_schema();
[[nodiscard]] const Schema<broker::PersistenceOptions>& persistence_schema();
// Defaults that depend on other sections (persistence.path under gateway.data_dir).
void complete_broker(broker::BrokerOptions& options, const gateway::GatewayOptions& gateway);

}  // namespace gw::config
