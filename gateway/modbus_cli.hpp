// gateway::ModbusCommand: `edge-gateway modbus read|write|scan|guess`, the commissioning toolbox
// for talking to a Modbus device from the command line without writing a configuration first.
//
//   edge-gateway modbus read  --host 10.0.0.5 --unit 1 --address 400101 --count 2
//   edge-gateway modbus write --device /dev/ttyUSB0 --baud 19200 --address 30 --type int16 -- -5
//   edge-gateway modbus scan  --host 10.0.0.5 --units 1-247 --timeout 200ms
//   edge-gateway modbus guess --host 10.0.0.5 --address 100 --count 4 --expect 21.5
//
// The link is Modbus TCP (--host/--port), Modbus RTU (--device and the serial options) or RTU
// over TCP (--host with --kind rtu-over-tcp), through the adapter's own Bus (make_bus), so the
// tool talks to a device exactly as the gateway will. Every request is bounded by --timeout.
// The pure parts (parsing, decoding tables, the ranking of `guess`) are in modbus_tool.hpp;
// docs/commissioning.md shows each command with its output.
//
// Exit codes: 0 done; 1 the device could not be reached or refused the request (one line on
// stderr says why); 2 bad arguments; 130 a scan stopped by Ctrl-C (after its partial summary).
//
// Ownership: owns the values its options are bound to, so it must outlive the parse and stay
// where it is (neither copyable nor movable). Thread safety: the main thread of a command-line
// invocation; `scan` installs a SIGINT handler while it runs.
#pragma once

#include <memory>
#include <ostream>

namespace CLI {
class App;
}

namespace gw::gateway {

// The values the options are bound to (modbus_cli.cpp).
struct ModbusArgs;

class ModbusCommand {
 public:
  // Adds the `modbus` subcommand, with read, write, scan and guess, to `app`.
  explicit ModbusCommand(CLI::App& app);
  ~ModbusCommand();
  ModbusCommand(const ModbusCommand&) = delete;
  ModbusCommand& operator=(const ModbusCommand&) = delete;

  // True when the command line named `modbus` (after app.parse()).
  [[nodiscard]] bool parsed() const;
  // Runs the parsed subcommand; results go to `out`, errors (one line each) to `err`. Returns the
  // exit code.
  int run(std::ostream& out, std::ostream& err);

 private:
  std::unique_ptr<ModbusArgs> args_;
};

}  // namespace gw::gateway
