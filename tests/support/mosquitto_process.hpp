// Test support: a real mosquitto broker ("the cloud") on 127.0.0.1, on a free port, with the
// limits the bridge tests need, and no persistence. It can be killed and restarted on the same
// port to simulate a cloud outage.
//
//   MosquittoProcess cloud({.max_packet_size = 2048});
//   options.servers = {cloud.uri()};
//   cloud.kill();   // SIGKILL: connections drop without DISCONNECT
//   cloud.start();  // same port; returns once it accepts connections
//
// With `tls` set, port() is a TLS listener (uri() is mqtts://) and plain_port() a second, plain
// listener for test clients that need no certificates:
//
//   MosquittoProcess cloud({.tls = MosquittoTls{.ca_file = ca, .cert_file = crt, .key_file = key}});
//   options.servers = {cloud.uri()};             // mqtts://127.0.0.1:port()
//   CloudClient sub(cloud.plain_uri(), "sub");   // mqtt://127.0.0.1:plain_port()
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

// A TLS listener: the server's certificate chain and key (PEM files), and the CA that client
// certificates must chain to when `require_certificate` is set (mutual TLS).
struct MosquittoTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool require_certificate = false;
};

struct MosquittoOptions {
  std::optional<std::uint32_t> max_packet_size;        // bytes
  std::optional<std::uint32_t> max_inflight_messages;  // also its Receive Maximum for v5 clients
  std::optional<int> max_qos;                          // 0..2
  std::optional<bool> retain_available;
  std::optional<MosquittoTls> tls;  // port() speaks TLS, plain_port() does not
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
  // mqtts:// when the options asked for TLS.
  [[nodiscard]] std::string uri() const {
    return (options_.tls ? "mqtts://127.0.0.1:" : "mqtt://127.0.0.1:") + std::to_string(port_);
  }
  // The plain listener next to a TLS one (port() itself without TLS).
  [[nodiscard]] std::uint16_t plain_port() const { return options_.tls ? plain_port_ : port_; }
  [[nodiscard]] std::string plain_uri() const { return "mqtt://127.0.0.1:" + std::to_string(plain_port()); }

  // (Re)starts on port(); returns once it accepts connections. Throws std::runtime_error.
  void start();
  // SIGTERM and wait (clean shutdown).
  void stop();
  // SIGKILL and wait (a crash: no DISCONNECT, no will delay).
  void kill();
  // SIGSTOP / SIGCONT: a frozen broker keeps its TCP connections open (the kernel still accepts
  // and buffers) but reads, answers and acknowledges nothing, like a hung cloud endpoint.
  void pause();
  void resume();
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
  std::uint16_t plain_port_ = 0;  // with TLS only
  std::unique_ptr<Process> process_;
};

// A free TCP port on 127.0.0.1 right now (bind to port 0, read it, close).
std::uint16_t free_port();
// Whether something accepts TCP connections on 127.0.0.1:port.
bool accepts_connections(std::uint16_t port);

}  // namespace gw::test
