// Shared helpers of the broker conformance tests (broker_conformance_NN_*_test.cpp), mosquitto
// test/broker/ style: the real edge-gateway binary on 127.0.0.1:0, a RawClient per MQTT client,
// packets to SEND built with the codec, EXPECTED packets written as bytes from the spec.
//
// The expected-packet builders here (publish_bytes, suback_bytes...) assemble bytes by hand
// following the spec's layout; they never call the codec, so a codec bug cannot hide itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "broker/protocol/packet.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/raw_client.hpp"

namespace gw::test::conformance {

using namespace gw::broker::protocol;
using V = ProtocolVersion;
using namespace std::chrono_literals;

// --- expected bytes ---------------------------------------------------------------------------

// CONNACK of MQTT 3.1.1 §3.2: session present, return code.
inline Bytes connack_v311(bool session_present = false, std::uint8_t rc = 0) {
  return {0x20, 0x02, static_cast<std::uint8_t>(session_present ? 1 : 0), rc};
}

// The MQTT 5 CONNACK of a broker with the default configuration: Receive Maximum 64 (0x21),
// Maximum Packet Size 256 KiB (0x27), Topic Alias Maximum 10 (0x22). Property order is the
// broker's (the spec does not fix one).
inline Bytes connack_v5_default(bool session_present = false) {
  return {0x20, 0x0e, static_cast<std::uint8_t>(session_present ? 1 : 0), 0x00, 0x0b,
          0x21, 0x00, 0x40,                    // Receive Maximum 64
          0x27, 0x00, 0x04, 0x00, 0x00,        // Maximum Packet Size 262144
          0x22, 0x00, 0x0a};                   // Topic Alias Maximum 10
}

inline Bytes& append_vbi(Bytes& b, std::uint32_t v) {
  do {
    std::uint8_t d = v % 128;
    v /= 128;
    if (v > 0) d |= 0x80;
    b.push_back(d);
  } while (v > 0);
  return b;
}

inline Bytes& append_str(Bytes& b, std::string_view s) {
  b.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  b.push_back(static_cast<std::uint8_t>(s.size() & 0xFF));
  b.insert(b.end(), s.begin(), s.end());
  return b;
}

// A whole packet from its first byte and body: adds the Remaining Length (MQTT 5 §2.1.4).
inline Bytes frame(std::uint8_t first, const Bytes& body) {
  Bytes b{first};
  append_vbi(b, static_cast<std::uint32_t>(body.size()));
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

struct Pub {
  std::string_view topic;
  std::string_view payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t id = 0;
  Bytes props;  // MQTT 5 property bytes, without the Property Length
};

// PUBLISH as MQTT 3.1.1 §3.3 / MQTT 5 §3.3 lay it out.
inline Bytes publish_bytes(const Pub& p, V v = V::V5) {
  Bytes body;
  append_str(body, p.topic);
  if (p.qos > 0) {
    body.push_back(static_cast<std::uint8_t>(p.id >> 8));
    body.push_back(static_cast<std::uint8_t>(p.id & 0xFF));
  }
  if (v == V::V5) {
    append_vbi(body, static_cast<std::uint32_t>(p.props.size()));
    body.insert(body.end(), p.props.begin(), p.props.end());
  }
  body.insert(body.end(), p.payload.begin(), p.payload.end());
  const auto first = static_cast<std::uint8_t>(0x30 | (p.dup ? 0x08 : 0) | (p.qos << 1) |
                                               (p.retain ? 0x01 : 0));
  return frame(first, body);
}

// PUBACK/PUBREC/PUBREL/PUBCOMP (MQTT 5 §3.4-§3.7): the shortest form for Success.
inline Bytes ack_bytes(std::uint8_t first, std::uint16_t id, std::optional<std::uint8_t> reason = {}) {
  Bytes b{first, 0x02, static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id & 0xFF)};
  if (reason) {
    b[1] = 0x03;
    b.push_back(*reason);
  }
  return b;
}

// SUBACK (MQTT 5 §3.9): packet id, empty properties (MQTT 5), one reason per filter.
inline Bytes suback_bytes(std::uint16_t id, std::initializer_list<std::uint8_t> reasons, V v = V::V5) {
  Bytes body{static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id & 0xFF)};
  if (v == V::V5) body.push_back(0x00);
  body.insert(body.end(), reasons.begin(), reasons.end());
  return frame(0x90, body);
}

inline const Bytes kPingreq{0xc0, 0x00};
inline const Bytes kPingresp{0xd0, 0x00};

// --- packets to send (built with the codec) -------------------------------------------------

inline Connect connect_v5(std::string id, bool clean_start = true, ConnectProps props = {}) {
  return Connect{.version = V::V5, .client_id = std::move(id), .clean_start = clean_start,
                 .keep_alive = 0, .username = {}, .password = {}, .will = {}, .props = std::move(props)};
}
inline Connect connect_v311(std::string id, bool clean_session = true) {
  return Connect{.version = V::V311, .client_id = std::move(id), .clean_start = clean_session};
}

inline TopicName topic(std::string_view t) { return *TopicName::make(std::string(t)); }
inline TopicFilter filter(std::string_view f) { return *TopicFilter::make(std::string(f)); }

inline Subscribe subscribe_packet(std::uint16_t id, std::string_view f, QoS qos,
                                  SubscriptionOptions options = {},
                                  std::optional<std::uint32_t> subscription_id = {}) {
  options.max_qos = qos;
  Subscribe s{.packet_id = PacketId{id}, .subscriptions = {}, .props = {}};
  s.subscriptions.push_back(Subscription{filter(f), options});
  s.props.subscription_id = subscription_id;
  return s;
}

inline Publish publish_packet(std::string_view t, std::string payload, QoS qos = QoS::AtMostOnce,
                              std::uint16_t id = 0, bool retain = false) {
  return Publish{.topic = topic(t), .payload = std::move(payload), .qos = qos, .retain = retain,
                 .dup = false, .packet_id = PacketId{id}, .props = {}};
}

// --- assertions -------------------------------------------------------------------------------

// Reads expected.size() bytes and compares them with `expected`.
inline ::testing::AssertionResult received(RawClient& c, const Bytes& expected,
                                           std::chrono::milliseconds timeout = RawClient::kTimeout) {
  const Bytes got = c.expect(expected, timeout);
  if (got == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected [" << hex(expected) << "]\n     got ["
                                       << hex(got) << "]"
                                       << (c.closed_by_peer() ? " then the connection closed"
                                                              : " before the deadline");
}

// The peer closes with nothing more sent.
inline ::testing::AssertionResult closed(RawClient& c,
                                         std::chrono::milliseconds timeout = RawClient::kTimeout) {
  if (c.expect_closed(timeout)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << (c.closed_by_peer() ? "closed after unexpected bytes [" : "still open; received [")
         << hex(c.unexpected()) << "]";
}

// An MQTT 5 server DISCONNECT with `reason` (MQTT 5 §3.14), then the close. A Reason String
// property (0x1F) is allowed (the server may add one, §3.14.2.2.3); nothing else is.
inline ::testing::AssertionResult disconnected(RawClient& c, std::uint8_t reason,
                                               std::chrono::milliseconds timeout = RawClient::kTimeout) {
  const auto p = c.read_packet(timeout);
  if (!p) return ::testing::AssertionFailure() << "no DISCONNECT (closed: " << c.closed_by_peer() << ")";
  const Bytes& b = *p;
  if (b[0] != 0xe0 || b.size() < 3 || b[2] != reason) {
    return ::testing::AssertionFailure() << "expected DISCONNECT reason " << hex(Bytes{reason})
                                         << ", got [" << hex(b) << "]";
  }
  // Properties: only a Reason String, whose bytes are valid length-prefixed UTF-8.
  if (b.size() > 3) {
    const std::size_t plen = b[3];  // < 128 in practice: a one-byte VBI
    if (plen + 4 != b.size() || (plen > 0 && (b[4] != 0x1f || plen != 3u + (b[5] * 256u + b[6])))) {
      return ::testing::AssertionFailure() << "unexpected DISCONNECT properties [" << hex(b) << "]";
    }
  }
  if (!c.expect_closed(timeout)) {
    return ::testing::AssertionFailure() << "not closed after DISCONNECT; then [" << hex(c.unexpected())
                                         << "]";
  }
  return ::testing::AssertionSuccess();
}

// CONNECT and its CONNACK (the default CONNACK for the version unless `connack` is given).
inline ::testing::AssertionResult handshake(RawClient& c, const Connect& connect,
                                            std::optional<Bytes> connack = {}) {
  if (!c.connected()) return ::testing::AssertionFailure() << "TCP connect failed";
  c.send(connect, connect.version);
  const Bytes expected = connack.value_or(connect.version == V::V5 ? connack_v5_default()
                                                                   : connack_v311());
  return received(c, expected);
}

// SUBSCRIBE to one filter and its SUBACK granting `qos`.
inline ::testing::AssertionResult subscribed(RawClient& c, std::uint16_t id, std::string_view f,
                                             QoS qos, V v = V::V5, SubscriptionOptions options = {},
                                             std::optional<std::uint32_t> subscription_id = {}) {
  c.send(subscribe_packet(id, f, qos, options, subscription_id), v);
  return received(c, suback_bytes(id, {static_cast<std::uint8_t>(qos)}, v));
}

// PINGREQ answered by PINGRESP: everything the broker queued for this client before it handled
// the PINGREQ has been read once this passes (one connection's output keeps its order).
inline ::testing::AssertionResult ping(RawClient& c) {
  c.send(kPingreq);
  return received(c, kPingresp);
}

// A broker for one test, ready or the test fails with its output.
#define GW_START_BROKER(var, ...)                     \
  ::gw::test::GatewayProcess var{__VA_ARGS__};        \
  ASSERT_TRUE(var.ready()) << var.process().output()

}  // namespace gw::test::conformance
