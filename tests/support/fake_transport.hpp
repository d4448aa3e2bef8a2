// Test support: net::Transport in memory, for driving the broker's sans-I/O path (unit tests,
// the session fuzzer). close() is completed by finish() (the peer's FIN); abort() completes at
// once, like TcpConnection.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "broker/net/transport.hpp"

namespace gw::test {

class FakeTransport final : public broker::net::Transport {
 public:
  FakeTransport() = default;
  // `address` without a port, e.g. "192.0.2.7" (per-address limits key on it).
  explicit FakeTransport(std::string address, bool loopback = true)
      : peer_(address + ":1"), address_(std::move(address)), loopback_(loopback) {}

  void write(std::span<const std::byte> bytes) override {
    if (!closed && !finished) written.insert(written.end(), bytes.begin(), bytes.end());
  }
  void close() override { closed = true; }
  void abort() override { finish(); }
  // A stalled peer reads nothing: everything written (since the last drain()) stays pending.
  [[nodiscard]] std::size_t pending_bytes() const override {
    return stalled ? written.size() - drained : 0;
  }
  void set_reading(bool on) override { reading = on; }
  void release_idle_buffers() override { ++idle_releases; }
  // A stalled peer read everything written so far: the write completes.
  void drain() { drain_some(written.size()); }
  // A stalled peer read `n` more bytes (at most what is pending): the write makes progress.
  void drain_some(std::size_t n) {
    drained += std::min(n, written.size() - drained);
    if (handler != nullptr && !finished) handler->on_written();
  }
  [[nodiscard]] const std::string& peer() const override { return peer_; }
  [[nodiscard]] const std::string& peer_address() const override { return address_; }
  // In memory: as local as a peer can be, unless told otherwise.
  [[nodiscard]] bool peer_is_loopback() const override { return loopback_; }

  void finish() {
    if (finished) return;
    finished = true;
    if (handler != nullptr) handler->on_closed({});
  }

  std::vector<std::byte> written;
  bool closed = false;
  bool finished = false;
  bool stalled = false;
  bool reading = true;      // set_reading(): false while the broker pauses this peer
  std::size_t drained = 0;  // bytes of `written` the stalled peer has read
  int idle_releases = 0;    // release_idle_buffers() calls
  broker::net::StreamHandler* handler = nullptr;

 private:
  std::string peer_ = "test:1";
  std::string address_ = "test:1";
  bool loopback_ = true;
};

}  // namespace gw::test
