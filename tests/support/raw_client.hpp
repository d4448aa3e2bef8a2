// Test support: a tiny blocking MQTT-over-TCP test client for byte-exact conformance tests
// (mosquitto test/broker/ style). It connects to 127.0.0.1:port, sends raw bytes, and reads
// exactly as many bytes as a test expects, with a deadline (poll()), never a sleep.
//
// Packets to SEND may be built with the project's codec (send(Packet, version)); EXPECTED bytes
// are written by the tests as literals from the spec, so a codec bug shows up as a mismatch.
// read_packet() frames one packet with its own Remaining Length parser (not the codec's).
//
// Ownership: owns its socket. Thread safety: one RawClient per thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/protocol/packet.hpp"
#include "broker/protocol/protocol_version.hpp"

namespace gw::test {

using Bytes = std::vector<std::uint8_t>;

// "20 02 00 00": for failure messages.
std::string hex(std::span<const std::uint8_t> bytes);

// The bytes the project's codec produces for `packet` (a test's OUTGOING packets only).
Bytes encode_packet(const broker::protocol::Packet& packet, broker::protocol::ProtocolVersion version);

class RawClient {
 public:
  static constexpr std::chrono::milliseconds kTimeout{2000};

  // Connects to 127.0.0.1:port (blocking, loopback only). connected() tells whether it worked.
  explicit RawClient(std::uint16_t port);
  // The same from source address 127.0.0.<source_host> (still loopback), for per-address limits.
  RawClient(std::uint16_t port, std::uint8_t source_host);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }

  // Writes everything (blocking). Returns false when the peer has gone (EPIPE/ECONNRESET).
  bool send(std::span<const std::uint8_t> bytes);
  bool send(const Bytes& bytes) { return send(std::span<const std::uint8_t>(bytes)); }
  bool send(const broker::protocol::Packet& packet,
            broker::protocol::ProtocolVersion version = broker::protocol::ProtocolVersion::V5);

  // Reads exactly `n` bytes, or fewer when the deadline passes or the peer closes first; returns
  // what arrived. closed_by_peer() tells which.
  Bytes read_exactly(std::size_t n, std::chrono::milliseconds timeout = kTimeout);
  // Reads expected.size() bytes (see read_exactly) and returns them, for comparison.
  Bytes expect(const Bytes& expected, std::chrono::milliseconds timeout = kTimeout) {
    return read_exactly(expected.size(), timeout);
  }
  // One whole packet (fixed header, Remaining Length, body) or nullopt on deadline/close/garbage.
  std::optional<Bytes> read_packet(std::chrono::milliseconds timeout = kTimeout);

  // Waits for the peer to close (EOF or reset) with nothing more arriving. Bytes that arrive
  // instead are kept in unexpected() and the result is false.
  bool expect_closed(std::chrono::milliseconds timeout = kTimeout);
  [[nodiscard]] const Bytes& unexpected() const { return unexpected_; }
  [[nodiscard]] bool closed_by_peer() const { return peer_closed_; }

  // Closes the socket normally (FIN).
  void close();
  // Closes with SO_LINGER 0 (RST): the abrupt end of a crashed client.
  void abort();

 private:
  // Waits until readable or the deadline; then reads up to `max` bytes into `out`.
  // Returns bytes read, 0 on EOF/reset (sets peer_closed_), -1 on timeout.
  long read_some(std::uint8_t* out, std::size_t max, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool peer_closed_ = false;
  Bytes unexpected_;
};

}  // namespace gw::test
