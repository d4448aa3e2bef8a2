// gateway::status command: `edge-gateway status --config FILE` asks the running gateway for its
// health report (`GET /status` on the metrics endpoint named by the configuration) and prints it:
// the one-line summary, the broker, every link and device, and the bridge's backlog.
//
// The endpoint must be enabled (`metrics: {enabled: true}`); a wildcard listen address is reached
// through loopback. The whole exchange is bounded by `timeout`.
//
// Thread safety: runs on the main thread of a command-line invocation.
#pragma once

#include <chrono>
#include <ostream>

#include "config/config.hpp"

namespace gw::gateway {

// Returns the exit code: 0 printed, 2 the configuration has no metrics endpoint, 3 no gateway
// answered (not running, or a different address), 1 it answered with an HTTP error.
int run_status_command(const config::Config& cfg, std::ostream& out, std::ostream& err,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace gw::gateway
