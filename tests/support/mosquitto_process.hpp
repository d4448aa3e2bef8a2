// Test support: a real mosquitto broker ("the cloud") on 127.0.0.1, on a free port, with the
// limits the bridge tests need, and no persistence. It can be killed and restarted on the same
// port to simulate a cloud outage.
//
//   MosquittoProcess cloud({.max_packet_size = 2048});
//   options.servers = {cloud.uri()};
//   cloud.kill();   // SIGKILL: connections drop without DISCONNECT
//   cloud.start();  // same port; returns once it accepts connections
//
// Thread safety: one test thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::test {

struct MosquittoOptions {
  std::optional<std::uint32_t> max_packet_size;        // bytes
  std::optional<std::uint32_t> max_inflight_messages;  // also its Receive Maximum for v5 clients
  std::optional<int> max_qos;                          // 0..2
  std::optional<bool> retain_available;
};

class MosquittoProcess {
 public:
  // Writes the config and starts mosquitto on a free port (retrying on EADDRINUSE); throws
  // std::runtime_error if it does not accept connections within a few seconds.
  explicit MosquittoProcess(MosquittoOptions options = {});
  ~MosquittoProcess();
  MosquittoProcess(const MosquittoProcess&) = delete;
  MosquittoProcess& operator=(const MosquittoProcess&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string uri() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }

  // (Re)starts on port(); returns once it accepts connections. Throws std::runtime_error.
  void start();
  // SIGTERM and wait (clean shutdown).
  void stop();
  // SIGKILL and wait (a crash: no DISCONNECT, no will delay).
  void kill();
  [[nodiscard]] bool running() const;
  // What mosquitto printed (empty when not running).
  [[nodiscard]] std::string output() const;

 private:
  bool try_start(std::chrono::milliseconds timeout);
  void write_config();

  MosquittoOptions options_;
  TempDir dir_;
  std::string config_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Process> process_;
};

// A free TCP port on 127.0.0.1 right now (bind to port 0, read it, close).
std::uint16_t free_port();
// Whether something accepts TCP connections on 127.0.0.1:port.
bool accepts_connections(std::uint16_t port);

}  // namespace gw::test
