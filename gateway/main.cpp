// edge-gateway: the program. Everything lives in gw::gateway::run_cli so that main only turns
// escaped exceptions into a logged failure and exit code 1.
#include <exception>

#include <spdlog/spdlog.h>

#include "gateway/cli.hpp"

int main(int argc, char** argv) {
  try {
    return gw::gateway::run_cli(argc, argv);
  } catch (const std::exception& e) {
    spdlog::critical("edge-gateway: fatal: {}", e.what());
  } catch (...) {
    spdlog::critical("edge-gateway: fatal: unknown exception");
  }
  return 1;
}
