// Helpers for the codec tests: hex byte strings, and the encode/compare/decode-again check that
// every packet test runs.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "broker/protocol/codec.hpp"

namespace gw::broker::protocol::test {

// "10 0e 00 04" -> bytes. Spaces and newlines are ignored.
inline std::vector<std::byte> hex(std::string_view text) {
  std::vector<std::byte> out;
  int high = -1;
  for (const char c : text) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::byte>(high * 16 + v));
      high = -1;
    }
  }
  return out;
}

inline std::string to_hex(std::span<const std::byte> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const auto b : bytes) {
    if (!out.empty()) out += ' ';
    const auto v = std::to_integer<unsigned>(b);
    out += kDigits[v >> 4];
    out += kDigits[v & 0xF];
  }
  return out;
}

inline std::vector<std::byte> encoded(const Packet& packet, ProtocolVersion v) {
  std::vector<std::byte> out;
  encode(packet, v, out);
  return out;
}

inline DecodeOptions opts(ProtocolVersion v) { return DecodeOptions{v, kMaxPacketSize}; }

// encode(packet) equals the hand-written bytes, encoded_size agrees, and decoding the bytes
// gives the packet back.
inline void expect_codec(const Packet& packet, ProtocolVersion v, std::string_view expected_hex) {
  const auto expected = hex(expected_hex);
  const auto bytes = encoded(packet, v);
  EXPECT_EQ(to_hex(bytes), to_hex(expected));
  EXPECT_EQ(encoded_size(packet, v), bytes.size());
  auto decoded = decode(expected, opts(v));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(decoded->size, expected.size());
  EXPECT_TRUE(decoded->packet == packet);
}

// Decodes bytes that must decode; fails the test otherwise.
inline Packet decode_ok(std::string_view bytes_hex, ProtocolVersion v) {
  const auto bytes = hex(bytes_hex);
  auto decoded = decode(bytes, opts(v));
  EXPECT_TRUE(decoded.has_value()) << decoded.error().message();
  if (!decoded) return Pingreq{};
  EXPECT_EQ(decoded->size, bytes.size());
  return std::move(decoded->packet);
}

// The error decoding `bytes_hex` gives; a default (empty) error_code when it decodes.
inline std::error_code decode_error(std::string_view bytes_hex, ProtocolVersion v) {
  auto decoded = decode(hex(bytes_hex), opts(v));
  if (decoded) return {};
  return decoded.error();
}

inline std::error_code ec(MqttErrc e) { return make_error_code(e); }

inline TopicName topic(std::string text) { return TopicName::make(std::move(text)).value(); }
inline TopicFilter filter(std::string text) { return TopicFilter::make(std::move(text)).value(); }

constexpr auto V311 = ProtocolVersion::V311;
constexpr auto V5 = ProtocolVersion::V5;

}  // namespace gw::broker::protocol::test
