// The `broker:` section → broker::BrokerOptions. Keys, defaults and the reasons for them:
// docs/configuration.md.
#pragma once

#include "broker/options.hpp"
#include "config/schema.hpp"

namespace gw::config {

[[nodiscard]] const Schema<broker::ListenerTlsOptions>& listener_tls_schema();
[[nodiscard]] const Schema<broker::ListenerOptions>& listener_schema();
[[nodiscard]] const Schema<broker::BrokerOptions>& broker_schema();

}  // namespace gw::config
