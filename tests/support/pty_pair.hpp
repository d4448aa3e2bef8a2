// Test support: serial lines without serial hardware or external tools.
//
// PtyPair is a null-modem cable between two pseudo-terminals: two openpty() pairs in raw mode and
// a thread copying bytes between their master sides, so whatever is written to device_a() is read
// from device_b() and back. A Modbus RTU master opens one end, a test server the other.
//
// SerialDeviceServer is a "transparent" serial device server (a Moxa NPort in TCP server mode):
// a TCP listener on 127.0.0.1:0 whose accepted connection is relayed byte for byte to a pty, so a
// Modbus RTU server on device() is reachable as Modbus RTU over TCP. It can also answer the next
// requests itself with canned bytes (garbage, a bad CRC) instead of passing them on.
//
// Ownership: each owns its fds (UniqueFd) and its relay thread, stopped and joined on destruction.
// Thread safety: the public members may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/unique_fd.hpp"

namespace gw::test {

using gw::UniqueFd;

// One openpty() pair in raw mode: the master fd and the slave's path. The slave stays open here
// too, so the master never sees a hang-up while no user has the device open.
struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string path;
};
// Throws std::runtime_error.
[[nodiscard]] Pty open_raw_pty();

class PtyPair {
 public:
  PtyPair();  // throws std::runtime_error
  ~PtyPair();
  PtyPair(const PtyPair&) = delete;
  PtyPair& operator=(const PtyPair&) = delete;

  [[nodiscard]] const std::string& device_a() const { return a_.path; }
  [[nodiscard]] const std::string& device_b() const { return b_.path; }

 private:
  void relay();

  Pty a_;
  Pty b_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class SerialDeviceServer {
 public:
  SerialDeviceServer();  // throws std::runtime_error
  ~SerialDeviceServer();
  SerialDeviceServer(const SerialDeviceServer&) = delete;
  SerialDeviceServer& operator=(const SerialDeviceServer&) = delete;

  // The TCP side: 127.0.0.1:port().
  [[nodiscard]] std::uint16_t port() const { return port_; }
  // The serial side, for the RTU server.
  [[nodiscard]] const std::string& device() const { return pty_.path; }

  // The next requests (one TCP read each) are swallowed and answered with these bytes, in order,
  // instead of reaching the serial line.
  void answer_next_with(std::vector<std::vector<std::uint8_t>> replies);
  // Canned replies not used yet.
  [[nodiscard]] std::size_t canned_left() const;

 private:
  void relay();

  Pty pty_;
  UniqueFd listener_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;  // guards: canned_
  std::deque<std::vector<std::uint8_t>> canned_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace gw::test
