#include "gateway/cli.hpp"

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "broker/auth/password_file.hpp"
#include "core/log.hpp"
#include "gateway/app.hpp"
#include "gateway/explain.hpp"
#include "gateway/modbus_cli.hpp"
#include "gateway/outbox_cli.hpp"
#include "gateway/passwd_cli.hpp"
#include "gateway/simulator.hpp"
#include "gateway/status_cli.hpp"

namespace gw::gateway {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

std::optional<config::Config> load(const std::string& path) {
  config::Diagnostics diag(path);
  auto cfg = config::load_file(path, diag);
  if (!diag.items().empty()) std::cerr << diag.format();
  if (diag.has_errors()) return std::nullopt;
  for (const auto& w : plan_warnings(*cfg)) std::cerr << path << ": warning: " << w << '\n';
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

  std::string explain_file;
  auto* explain_cmd = app.add_subcommand(
      "explain", "Validate a configuration and print what the gateway will do with it: topics, "
                 "points with their addresses and decoding, and the read plan of every device");
  explain_cmd->add_option("FILE", explain_file, "Configuration file (YAML)")->required();

  std::string run_file;
  std::string log_level_text;
  auto* run = app.add_subcommand("run", "Run the gateway");
  run->add_option("-c,--config", run_file, "Configuration file (YAML)")->required();
  run->add_option("--log-level", log_level_text,
                  "Override gateway.log_level: trace, debug, info, warn, error, critical, off");

  std::string outbox_file;
  std::size_t outbox_limit = 100;
  std::uint64_t outbox_id = 0;
  auto* outbox = app.add_subcommand(
      "outbox", "The bridge's store-and-forward outbox: backlog, dead letters, replay");
  outbox->require_subcommand(1);
  auto* outbox_stats = outbox->add_subcommand("stats", "Backlog size and age, dead letters");
  auto* outbox_dead = outbox->add_subcommand(
      "dead-letters", "Messages given up (e.g. larger than the cloud's Maximum Packet Size)");
  outbox_dead->add_option("--limit", outbox_limit, "At most this many, oldest first")
      ->capture_default_str();
  auto* outbox_replay =
      outbox->add_subcommand("replay", "Put a dead letter back in the outbox to be sent again");
  outbox_replay->add_option("ID", outbox_id, "Dead letter id (from dead-letters)")->required();
  for (auto* sub : {outbox_stats, outbox_dead, outbox_replay}) {
    sub->add_option("-c,--config", outbox_file, "Configuration file (YAML)")->required();
  }

  PasswdRequest passwd_request;
  auto* passwd = app.add_subcommand(
      "passwd", "Add or change a user of the broker's password file (asks for the password; "
                "from standard input when it is not a terminal)");
  passwd->add_option("FILE", passwd_request.file, "Password file (broker.password_file)")
      ->required();
  passwd->add_option("USER", passwd_request.user, "User name")->required();
  passwd->add_flag("-D,--delete", passwd_request.remove, "Remove the user instead");
  passwd->add_option("--iterations", passwd_request.iterations,
                     "PBKDF2 rounds (default " +
                         std::to_string(broker::auth::kDefaultIterations) + ")");
  passwd
      ->add_option("--scheme", passwd_request.scheme,
                   "Entry to write: pbkdf2-sha512 (default; Mosquitto reads it), scram-sha-256 or "
                   "scram-sha-512 (also allows MQTT 5 SCRAM authentication; Mosquitto cannot read "
                   "it)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, broker::auth::PasswordScheme>{
              {"pbkdf2-sha512", broker::auth::PasswordScheme::Pbkdf2Sha512},
              {"scram-sha-256", broker::auth::PasswordScheme::ScramSha256},
              {"scram-sha-512", broker::auth::PasswordScheme::ScramSha512}},
          CLI::ignore_case));

  std::string status_file;
  auto* status = app.add_subcommand(
      "status", "Print the health report of the running gateway (through its metrics endpoint)");
  status->add_option("-c,--config", status_file, "Configuration file (YAML)")->required();
  status->footer("Exit status: 0 printed, 2 no metrics endpoint configured, 3 no answer.");

  std::string sim_address = "127.0.0.1";
  std::uint16_t sim_port = 5020;
  auto* simulate = app.add_subcommand(
      "simulate",
      "Run a simulated Modbus TCP device (generated values) for the demo and for trying a "
      "configuration without hardware");
  simulate->add_option("--address", sim_address, "Address to listen on")->capture_default_str();
  simulate->add_option("--port", sim_port, "TCP port (0 = any free port)")->capture_default_str();
  simulate->footer(
      "Register map (0-based): holding 0-1 float32 ABCD temperature °C; holding 2-3 float32 CDAB "
      "pressure bar; holding 4 uint16 speed rpm; holding 5 int16 x0.1 setpoint °C (writable); "
      "holding 6-7 uint32 energy Wh; holding 10-13 string serial number; input 0 uint16 level %; "
      "coil 0 pump running (writable); discrete input 0 high-temperature alarm.");

  ModbusCommand modbus_cmd(app);

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
    // The password file is read at start-up; check it now too.
    if (const auto& file = cfg->broker.password_file; !file.empty()) {
      std::vector<broker::auth::PasswordFileError> errors;
      if (auto users = broker::auth::load_password_file(file, &errors); !users) {
        for (const auto& e : errors) std::cerr << file << ':' << e.line << ": error: " << e.message << '\n';
        if (errors.empty()) {
          std::cerr << check_file << ": error: broker.password_file: cannot read " << file << ": "
                    << users.error().message() << '\n';
        }
        return kExitUsage;
      }
    }
    std::cout << config::summary(*cfg) << '\n';
    return kExitOk;
  }

  if (explain_cmd->parsed()) {
    auto cfg = load(explain_file);
    if (!cfg) return kExitUsage;
    std::cout << explain(*cfg);
    return kExitOk;
  }

  if (outbox->parsed()) {
    auto cfg = load(outbox_file);
    if (!cfg) return kExitUsage;
    const OutboxCommand command = outbox_stats->parsed()  ? OutboxCommand::Stats
                                  : outbox_dead->parsed() ? OutboxCommand::DeadLetters
                                                          : OutboxCommand::Replay;
    return run_outbox_command(*cfg, command, outbox_limit, outbox_id, std::cout, std::cerr);
  }

  if (passwd->parsed()) return run_passwd_command(passwd_request, std::cin, std::cout, std::cerr);

  if (status->parsed()) {
    auto cfg = load(status_file);
    if (!cfg) return kExitUsage;
    return run_status_command(*cfg, std::cout, std::cerr);
  }

  if (simulate->parsed()) return run_simulator(sim_address, sim_port);
  if (modbus_cmd.parsed()) return modbus_cmd.run(std::cout, std::cerr);

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
  App gateway(std::move(*cfg), run_file);
  return gateway.run();
}

}  // namespace gw::gateway
