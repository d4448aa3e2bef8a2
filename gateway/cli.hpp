// The command line: `edge-gateway --version`, `check-config FILE`, `run --config FILE`.
#pragma once

namespace gw::gateway {

// Parses argv, runs the chosen command and returns the process exit code: 0 on success, 1 on a
// runtime failure, 2 on bad arguments or an invalid configuration.
int run_cli(int argc, char** argv);

}  // namespace gw::gateway
