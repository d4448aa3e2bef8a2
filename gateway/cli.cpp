#include "gateway/cli.hpp"

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "core/log.hpp"
#include "gateway/app.hpp"

namespace gw::gateway {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

std::optional<config::Config> load(const std::string& path) {
  config::Diagnostics diag(path);
  auto cfg = config::load_file(path, diag);
  if (!diag.items().empty()) std::cerr << diag.format();
  if (diag.has_errors()) return std::nullopt;
  return cfg;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"edge-gateway: MQTT 5 broker, field-bus adapters and store-and-forward bridge",
               "edge-gateway"};
  app.set_version_flag("-V,--version", std::string("edge-gateway ") + GW_VERSION);
  app.require_subcommand(1);

  std::string check_file;
  auto* check = app.add_subcommand("check-config", "Validate a configuration file and exit");
  check->add_option("FILE", check_file, "Configuration file (YAML)")->required();

  std::string run_file;
  std::string log_level_text;
  auto* run = app.add_subcommand("run", "Run the gateway");
  run->add_option("-c,--config", run_file, "Configuration file (YAML)")->required();
  run->add_option("--log-level", log_level_text,
                  "Override gateway.log_level: trace, debug, info, warn, error, critical, off");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    // CLI11 returns 0 for --help/--version; everything else is a usage error.
    return rc == 0 ? kExitOk : kExitUsage;
  }

  if (check->parsed()) {
    auto cfg = load(check_file);
    if (!cfg) return kExitUsage;
    std::cout << config::summary(*cfg) << '\n';
    return kExitOk;
  }

  // run
  std::optional<core::LogLevel> override_level;
  if (!log_level_text.empty()) {
    override_level = core::parse_log_level(log_level_text);
    if (!override_level) {
      std::cerr << "edge-gateway: --log-level: unknown level '" << log_level_text
                << "' (trace, debug, info, warn, error, critical, off)\n";
      return kExitUsage;
    }
  }
  auto cfg = load(run_file);
  if (!cfg) return kExitUsage;
  if (override_level) cfg->gateway.log_level = *override_level;
  core::setup_logging(cfg->gateway.log_level);
  App gateway(std::move(*cfg));
  return gateway.run();
}

}  // namespace gw::gateway
