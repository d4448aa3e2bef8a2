// gateway::explain: `edge-gateway explain FILE` — what the gateway will do with a configuration,
// in words: the topics, every point with its table, 0-based address, Modicon reference, type,
// registers and byte order, the read plan each device gets (the exact requests the link sends
// per cycle, after coalescing, against the minimum possible, with the splits the link learned
// in earlier runs from devices that refused a merged read), and the estimated bus load of
// serial links.
//
// Thread safety: reentrant.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace gw::gateway {

[[nodiscard]] std::string explain(const config::Config& config);

// Warnings about the plan that the YAML checks cannot see, e.g. a serial link whose poll
// intervals need more bus time than there is. One line each, without a trailing newline.
[[nodiscard]] std::vector<std::string> plan_warnings(const config::Config& config);

}  // namespace gw::gateway
