// WebSocket framing (RFC 6455 §5) with the RFC's own example frames (§5.7), fed in every split.
#include "broker/net/ws_frame.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gw::broker::net {
namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes(std::initializer_list<int> v) {
  Bytes out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}
Bytes text(std::string_view s) {
  Bytes out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}
std::string str(const Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

constexpr std::array<std::byte, 4> kMask{std::byte{0x37}, std::byte{0xfa}, std::byte{0x21}, std::byte{0x3d}};

struct Recorder final : WsFrameSink {
  void on_ws_binary(std::span<const std::byte> p) override {
    EXPECT_FALSE(p.empty());
    data.insert(data.end(), p.begin(), p.end());
    ++pieces;
  }
  void on_ws_ping(std::span<const std::byte> p) override { pings.emplace_back(p.begin(), p.end()); }
  void on_ws_close(std::uint16_t c, std::string_view r) override {
    close_code = c;
    close_reason = r;
    ++closes;
  }
  Bytes data;
  int pieces = 0;
  std::vector<Bytes> pings;
  int closes = 0;
  std::uint16_t close_code = 0;
  std::string close_reason;
};

struct Decode {
  explicit Decode(std::uint64_t max = 1024 * 1024) : dec(max) {}
  // Feeds `in` in pieces of `step` bytes; returns the first error.
  Result<void> feed(const Bytes& in, std::size_t step = 0) {
    if (step == 0) step = in.size();
    for (std::size_t at = 0; at < in.size(); at += step) {
      const auto n = std::min(step, in.size() - at);
      GW_TRY_VOID(dec.consume(std::span<const std::byte>(in).subspan(at, n), scratch, rec));
    }
    return {};
  }
  WsFrameDecoder dec;
  std::array<std::byte, 3> scratch{};  // tiny on purpose: unmasking must work in pieces
  Recorder rec;
};

TEST(WsFrame, EncodesTheRfcExamplesUnmaskedAndMasked) {
  Bytes out;
  append_ws_frame(out, WsOpcode::Text, text("Hello"));
  EXPECT_EQ(out, bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));  // RFC 6455 §5.7
  out.clear();
  append_ws_frame(out, WsOpcode::Text, text("Hello"), kMask);
  EXPECT_EQ(out, bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  out.clear();
  append_ws_frame(out, WsOpcode::Text, text("Hel"), std::nullopt, false);
  append_ws_frame(out, WsOpcode::Continuation, text("lo"));
  EXPECT_EQ(out, bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}));
}

TEST(WsFrame, HeaderUsesTheShortestLengthForm) {
  WsFrameHeader h;
  EXPECT_EQ(write_ws_frame_header(h, WsOpcode::Binary, 125), 2U);
  EXPECT_EQ(h[1], std::byte{125});
  ASSERT_EQ(write_ws_frame_header(h, WsOpcode::Binary, 256), 4U);  // RFC 6455 §5.7: 256 bytes
  EXPECT_EQ(Bytes(h.begin(), h.begin() + 4), bytes({0x82, 0x7E, 0x01, 0x00}));
  ASSERT_EQ(write_ws_frame_header(h, WsOpcode::Binary, 65536), 10U);  // §5.7: 64 KiB
  EXPECT_EQ(Bytes(h.begin(), h.end()), bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST(WsFrame, DecodesAMaskedBinaryFrameInEverySplit) {
  const Bytes frame = bytes({0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  for (std::size_t step = 1; step <= frame.size(); ++step) {
    Decode d;
    ASSERT_TRUE(d.feed(frame, step)) << step;
    EXPECT_EQ(str(d.rec.data), "Hello") << "split " << step;
  }
}

TEST(WsFrame, DecodesMediumAndLongLengths) {
  for (std::size_t size : {126U, 300U, 65535U, 65536U, 70000U}) {
    Bytes payload(size);
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<std::byte>(i * 7);
    Bytes frame;
    append_ws_frame(frame, WsOpcode::Binary, payload, kMask);
    Decode d;
    ASSERT_TRUE(d.feed(frame, 1000)) << size;
    EXPECT_EQ(d.rec.data, payload) << size;
  }
}

TEST(WsFrame, JoinsAFragmentedMessageWithControlFramesBetweenFragments) {
  Bytes in;
  append_ws_frame(in, WsOpcode::Binary, text("MQ"), kMask, false);
  append_ws_frame(in, WsOpcode::Ping, text("p1"), kMask);  // §5.4: control frames may interleave
  append_ws_frame(in, WsOpcode::Continuation, text("TT"), kMask, false);
  append_ws_frame(in, WsOpcode::Pong, text("x"), kMask);
  append_ws_frame(in, WsOpcode::Continuation, {}, kMask, false);  // empty fragment
  append_ws_frame(in, WsOpcode::Continuation, text("!"), kMask);
  append_ws_frame(in, WsOpcode::Binary, text("next"), kMask);  // a new message after the last
  for (std::size_t step : {1U, 2U, 5U, 100U}) {
    Decode d;
    ASSERT_TRUE(d.feed(in, step)) << step;
    EXPECT_EQ(str(d.rec.data), "MQTT!next");
    ASSERT_EQ(d.rec.pings.size(), 1U);
    EXPECT_EQ(str(d.rec.pings[0]), "p1");
  }
}

TEST(WsFrame, ReportsCloseWithCodeAndReasonAndIgnoresWhatFollows) {
  Bytes in;
  append_ws_frame(in, WsOpcode::Close, bytes({0x03, 0xE9, 'b', 'y', 'e'}), kMask);  // 1001
  append_ws_frame(in, WsOpcode::Binary, text("late"), kMask);
  Decode d;
  ASSERT_TRUE(d.feed(in));
  EXPECT_EQ(d.rec.closes, 1);
  EXPECT_EQ(d.rec.close_code, 1001);
  EXPECT_EQ(d.rec.close_reason, "bye");
  EXPECT_TRUE(d.rec.data.empty());
  EXPECT_TRUE(d.dec.closed());

  Decode empty;
  Bytes bare;
  append_ws_frame(bare, WsOpcode::Close, {}, kMask);
  ASSERT_TRUE(empty.feed(bare));
  EXPECT_EQ(empty.rec.close_code, 1005);  // no status code given
}

struct BadCase {
  const char* name;
  Bytes input;
  WsCloseCode code;
};

Bytes frame(WsOpcode op, const Bytes& payload, bool masked = true, bool fin = true) {
  Bytes out;
  append_ws_frame(out, op, payload, masked ? std::optional(kMask) : std::nullopt, fin);
  return out;
}

TEST(WsFrame, RefusesWhatRfc6455ForbidsWithTheRightCloseCode) {
  const std::vector<BadCase> cases = {
      {"unmasked client frame (§5.1)", frame(WsOpcode::Binary, text("x"), false), WsCloseCode::ProtocolError},
      {"text frame [MQTT-6.0.0-1]", frame(WsOpcode::Text, text("x")), WsCloseCode::UnsupportedData},
      {"reserved bit", bytes({0xC2, 0x80, 0, 0, 0, 0}), WsCloseCode::ProtocolError},
      {"reserved opcode", bytes({0x83, 0x80, 0, 0, 0, 0}), WsCloseCode::ProtocolError},
      {"fragmented ping", frame(WsOpcode::Ping, text("x"), true, false), WsCloseCode::ProtocolError},
      {"control frame of 126 bytes", frame(WsOpcode::Ping, Bytes(126)), WsCloseCode::ProtocolError},
      {"continuation without a message", frame(WsOpcode::Continuation, text("x")), WsCloseCode::ProtocolError},
      {"binary inside a fragmented message",
       [] {
         auto b = frame(WsOpcode::Binary, text("a"), true, false);
         auto c = frame(WsOpcode::Binary, text("b"));
         b.insert(b.end(), c.begin(), c.end());
         return b;
       }(),
       WsCloseCode::ProtocolError},
      {"64-bit length with the top bit set", bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}),
       WsCloseCode::ProtocolError},
      {"absurd 64-bit length", bytes({0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0}),
       WsCloseCode::MessageTooBig},
      {"frame over the limit", frame(WsOpcode::Binary, Bytes(1025)), WsCloseCode::MessageTooBig},
      {"close with a 1-byte body", frame(WsOpcode::Close, bytes({0x03})), WsCloseCode::ProtocolError},
      {"close with code 1005", frame(WsOpcode::Close, bytes({0x03, 0xED})), WsCloseCode::ProtocolError},
      {"close with code 999", frame(WsOpcode::Close, bytes({0x03, 0xE7})), WsCloseCode::ProtocolError},
  };
  for (const auto& c : cases) {
    Decode d(1024);
    auto r = d.feed(c.input, 1);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error(), c.code) << c.name << ": " << d.dec.reason();
    EXPECT_FALSE(d.dec.reason().empty()) << c.name;
    EXPECT_LE(d.rec.data.size(), 1U) << c.name;  // only the first fragment of the bad message
    // Sticky: nothing more is decoded after an error.
    auto again = d.dec.consume(frame(WsOpcode::Binary, text("x")), d.scratch, d.rec);
    EXPECT_FALSE(again) << c.name;
  }
}

TEST(WsFrame, AcceptsAFrameOfExactlyTheLimit) {
  Decode d(1024);
  ASSERT_TRUE(d.feed(frame(WsOpcode::Binary, Bytes(1024))));
  EXPECT_EQ(d.rec.data.size(), 1024U);
}

}  // namespace
}  // namespace gw::broker::net
