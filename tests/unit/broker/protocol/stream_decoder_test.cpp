// StreamDecoder: packets split across reads, several packets per read, early refusal of
// oversize packets, version adoption and sticky errors.
#include "broker/protocol/stream_decoder.hpp"

#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

std::vector<std::byte> three_packets() {
  std::vector<std::byte> out;
  Connect c;
  c.client_id = "dev";
  encode(c, V5, out);
  Publish p;
  p.topic = topic("a/b");
  p.payload = std::string(300, 'x');  // two-byte Remaining Length
  p.qos = QoS::AtLeastOnce;
  p.packet_id = PacketId{5};
  p.props.message.content_type = "text/plain";
  encode(p, V5, out);
  encode(Pingreq{}, V5, out);
  return out;
}

void expect_three_packets(const std::vector<Packet>& got) {
  ASSERT_EQ(got.size(), 3U);
  EXPECT_TRUE(std::holds_alternative<Connect>(got[0]));
  ASSERT_TRUE(std::holds_alternative<Publish>(got[1]));
  EXPECT_EQ(std::get<Publish>(got[1]).payload.size(), 300U);
  EXPECT_TRUE(std::holds_alternative<Pingreq>(got[2]));
}

std::vector<Packet> drain(StreamDecoder& dec) {
  std::vector<Packet> got;
  while (true) {
    auto next = dec.next();
    EXPECT_TRUE(next) << next.error().message();
    if (!next || !*next) return got;
    got.push_back(std::move(**next));
  }
}

TEST(StreamDecoder, DecodesWhenFedByteByByte) {
  const auto bytes = three_packets();
  StreamDecoder dec;
  std::vector<Packet> got;
  for (const auto b : bytes) {
    dec.feed(std::span(&b, 1));
    auto more = drain(dec);
    for (auto& p : more) got.push_back(std::move(p));
  }
  expect_three_packets(got);
  EXPECT_EQ(dec.buffered(), 0U);
}

TEST(StreamDecoder, DecodesSeveralPacketsInOneChunk) {
  StreamDecoder dec;
  const auto bytes = three_packets();  // borrowed until drained
  dec.feed(bytes);
  expect_three_packets(drain(dec));
}

TEST(StreamDecoder, DecodesPacketsSplitAtEveryPoint) {
  const auto bytes = three_packets();
  for (std::size_t cut = 0; cut <= bytes.size(); cut += 7) {
    StreamDecoder dec;
    dec.feed(std::span(bytes).first(cut));
    auto got = drain(dec);
    dec.feed(std::span(bytes).subspan(cut));
    for (auto& p : drain(dec)) got.push_back(std::move(p));
    expect_three_packets(got);
  }
}

TEST(StreamDecoder, AdoptsVersionFromConnect) {
  StreamDecoder dec;
  EXPECT_FALSE(dec.options().version);
  Connect c;
  c.version = V311;
  c.client_id = "x";
  std::vector<std::byte> bytes;
  encode(c, V311, bytes);
  encode(Puback{PacketId{1}, {}, {}}, V311, bytes);
  dec.feed(bytes);
  auto got = drain(dec);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(dec.options().version, V311);
}

TEST(StreamDecoder, RefusesNonConnectFirst) {
  StreamDecoder dec;
  dec.feed(hex("c0 00"));
  auto next = dec.next();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error(), ec(MqttErrc::ProtocolError));
}

TEST(StreamDecoder, RefusesOversizePacketBeforeItsBodyArrives) {
  StreamDecoder dec(DecodeOptions{V5, 1024});
  dec.feed(hex("30 81 08"));  // Remaining Length 1,025: the header alone is enough
  auto next = dec.next();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error(), ec(MqttErrc::PacketTooLarge));
  EXPECT_EQ(dec.buffered(), 3U);
}

TEST(StreamDecoder, AcceptsPacketOfExactlyMaximumSize) {
  Publish p;
  p.topic = topic("t");
  p.payload = std::string(100, 'x');
  const auto size = encoded_size(p, V5);
  std::vector<std::byte> bytes;
  encode(p, V5, bytes);
  StreamDecoder exact(DecodeOptions{V5, static_cast<std::uint32_t>(size)});
  exact.feed(bytes);
  EXPECT_EQ(drain(exact).size(), 1U);
  StreamDecoder smaller(DecodeOptions{V5, static_cast<std::uint32_t>(size - 1)});
  smaller.feed(std::span(bytes).first(2));
  auto next = smaller.next();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error(), ec(MqttErrc::PacketTooLarge));
}

TEST(StreamDecoder, RefusesFiveByteRemainingLengthEarly) {
  StreamDecoder dec(DecodeOptions{V5, kMaxPacketSize});
  dec.feed(hex("30 ff ff ff ff"));
  auto next = dec.next();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error(), ec(MqttErrc::MalformedPacket));
}

TEST(StreamDecoder, KeepsErrorsSticky) {
  StreamDecoder dec(DecodeOptions{V5, kMaxPacketSize});
  dec.feed(hex("c1 00"));
  ASSERT_FALSE(dec.next());
  dec.feed(hex("c0 00"));
  auto next = dec.next();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error(), ec(MqttErrc::MalformedPacket));
  EXPECT_EQ(dec.buffered(), 2U);  // nothing appended after the error
}

TEST(StreamDecoder, ReportsRefusedProtocolLevel) {
  StreamDecoder dec;
  dec.feed(hex("10 10 00 06 4d 51 49 73 64 70 03 02 00 3c 00 02 63 31"));
  auto next = dec.next();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error(), ec(MqttErrc::UnsupportedProtocolVersion));
  EXPECT_EQ(dec.refused_protocol_level(), 3);
}

TEST(StreamDecoder, ReusesItsBufferAcrossPackets) {
  StreamDecoder dec(DecodeOptions{V5, kMaxPacketSize});
  for (int i = 0; i < 1000; ++i) {
    dec.feed(hex("c0 00 c0"));
    dec.feed(hex("00"));
    EXPECT_EQ(drain(dec).size(), 2U);
    EXPECT_EQ(dec.buffered(), 0U);
  }
}

}  // namespace
}  // namespace gw::broker::protocol::test

namespace gw::broker::protocol::test {
namespace {

std::vector<Packet> consume_all(StreamDecoder& dec, std::span<const std::byte> bytes) {
  std::vector<Packet> got;
  auto r = dec.consume(bytes, [&](Packet&& p) {
    got.push_back(std::move(p));
    return true;
  });
  EXPECT_TRUE(r) << r.error().message();
  return got;
}

TEST(StreamDecoder, ConsumesSplitPacketsAtEveryPointAndKeepsNothingAfter) {
  const auto bytes = three_packets();
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    StreamDecoder dec;
    auto got = consume_all(dec, std::span(bytes).first(cut));
    EXPECT_LT(dec.buffered(), 330U) << cut;  // at most the start of one packet
    // The caller's buffer is reused between reads: the decoder must not keep pointing into it.
    std::vector<std::byte> second(bytes.begin() + static_cast<std::ptrdiff_t>(cut), bytes.end());
    for (auto& p : consume_all(dec, second)) got.push_back(std::move(p));
    second.assign(second.size(), std::byte{0xEE});
    expect_three_packets(got);
    EXPECT_EQ(dec.buffered(), 0U);
  }
}

TEST(StreamDecoder, ConsumeStopsWhenTheHandlerSaysSo) {
  const auto bytes = three_packets();
  StreamDecoder dec;
  int calls = 0;
  auto r = dec.consume(bytes, [&](Packet&&) { return ++calls < 2; });
  ASSERT_TRUE(r);
  EXPECT_EQ(calls, 2);
}

TEST(StreamDecoder, ConsumeReportsAndKeepsErrors) {
  StreamDecoder dec(DecodeOptions{V5, 1024});
  const auto oversize = hex("30 81 08");
  auto r = dec.consume(oversize, [](Packet&&) { return true; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), ec(MqttErrc::PacketTooLarge));
  auto again = dec.consume(hex("c0 00"), [](Packet&&) { return true; });
  ASSERT_FALSE(again);
}

}  // namespace
}  // namespace gw::broker::protocol::test
