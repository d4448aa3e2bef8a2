// Test support: the real edge-gateway binary running a given configuration, with the MQTT port
// it bound (configs use port 0; the port is read from the "listening on" log line).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {

// The port of a running `edge-gateway simulate --port 0`, from its "simulator listening on
// 127.0.0.1:PORT" line; 0 if it exited first or never said so within the wait_until deadline.
std::uint16_t simulator_port(Process& sim);

class GatewayProcess {
 public:
  // `broker_yaml` is the body of the `broker:` section without its listeners, indented by two
  // spaces per line (may be empty). One listener on 127.0.0.1:0 is always added. `data_dir`:
  // gateway.data_dir, for a restart that must find the state of an earlier run; default: a
  // directory of its own.
  explicit GatewayProcess(const std::string& broker_yaml = "", const std::string& extra_yaml = "",
                          const std::string& data_dir = "");

  // Blocks until the broker listens (or fails the calling test via the returned false).
  [[nodiscard]] bool ready() const { return port_ != 0; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string port_str() const { return std::to_string(port_); }
  Process& process() { return *proc_; }
  [[nodiscard]] const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::unique_ptr<Process> proc_;
  std::uint16_t port_ = 0;
};

}  // namespace gw::test
