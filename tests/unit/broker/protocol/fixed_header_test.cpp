// Fixed header, Remaining Length (Variable Byte Integer) boundaries, Maximum Packet Size and the
// size helpers.
#include "broker/protocol/codec.hpp"
#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

Result<std::optional<FixedHeader>> header_of(std::string_view bytes_hex,
                                             std::uint32_t max = kMaxPacketSize) {
  return parse_fixed_header(hex(bytes_hex), max);
}

TEST(FixedHeader, AsksForMoreBytesWhenIncomplete) {
  EXPECT_FALSE(*header_of(""));
  EXPECT_FALSE(*header_of("30"));
  EXPECT_FALSE(*header_of("30 80"));
  EXPECT_FALSE(*header_of("30 ff ff ff"));
}

TEST(FixedHeader, ParsesLargestRemainingLength) {
  auto h = header_of("30 ff ff ff 7f");
  ASSERT_TRUE(h && *h);
  EXPECT_EQ((*h)->remaining_length, kMaxRemainingLength);
  EXPECT_EQ((*h)->header_size, 5);
}

TEST(FixedHeader, RefusesFiveByteRemainingLengthBeforeFifthByteArrives) {
  auto h = header_of("30 ff ff ff ff");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error(), ec(MqttErrc::MalformedPacket));
  EXPECT_EQ(decode_error("30 ff ff ff ff 01", V5), ec(MqttErrc::MalformedPacket));
}

TEST(FixedHeader, RefusesNonMinimalRemainingLength) {
  EXPECT_EQ(decode_error("c0 80 00", V5), ec(MqttErrc::MalformedPacket));
  EXPECT_EQ(decode_error("30 83 80 00", V311), ec(MqttErrc::MalformedPacket));
}

TEST(FixedHeader, RefusesReservedPacketTypeZero) {
  EXPECT_EQ(decode_error("00 00", V5), ec(MqttErrc::MalformedPacket));
}

TEST(FixedHeader, RefusesPacketTooLargeAsSoonAsHeaderIsComplete) {
  // Remaining Length 16,384 announced, limit 1,000: refused with only the header at hand.
  auto h = header_of("30 80 80 01", 1000);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error(), ec(MqttErrc::PacketTooLarge));
}

TEST(FixedHeader, RefusesTruncatedBodyInOneShotDecode) {
  EXPECT_EQ(decode_error("30 05 00 01 61", V311), ec(MqttErrc::MalformedPacket));
  EXPECT_EQ(decode_error("30", V311), ec(MqttErrc::MalformedPacket));
}

TEST(FixedHeader, RefusesAnythingButConnectBeforeVersionIsKnown) {
  auto d = decode(hex("c0 00"), DecodeOptions{});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), ec(MqttErrc::ProtocolError));
}

TEST(FixedHeader, ReportsConsumedSizeWithTrailingBytes) {
  auto d = decode(hex("c0 00 d0 00"), opts(V5));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size, 2U);
  EXPECT_TRUE(std::holds_alternative<Pingreq>(d->packet));
}

// PUBLISH (3.1.1, QoS 0, topic "t") whose Remaining Length is exactly `rl`.
Publish publish_with_remaining_length(std::size_t rl) {
  Publish p;
  p.topic = topic("t");
  p.payload.assign(rl - 3, 'x');
  return p;
}

TEST(EncodedSize, MatchesEncodeAtVariableByteIntegerBoundaries) {
  const struct {
    std::size_t rl;
    std::string_view header;
  } cases[] = {
      {127, "30 7f"},           {128, "30 80 01"},          {16383, "30 ff 7f"},
      {16384, "30 80 80 01"},   {2097151, "30 ff ff 7f"},   {2097152, "30 80 80 80 01"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.rl);
    const auto p = publish_with_remaining_length(c.rl);
    std::vector<std::byte> out;
    encode(p, V311, out);
    const auto header = hex(c.header);
    EXPECT_EQ(out.size(), header.size() + c.rl);
    EXPECT_EQ(encoded_size(p, V311), out.size());
    EXPECT_EQ(encoded_size(Packet(p), V311), out.size());
    EXPECT_EQ(packet_size_for(c.rl), out.size());
    EXPECT_EQ(to_hex(std::span(out).first(header.size())), to_hex(header));
    auto d = decode(out, opts(V311));
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->packet == Packet(p));
  }
}

TEST(EncodedSize, AppendsToExistingBuffer) {
  std::vector<std::byte> out = hex("aa bb");
  encode(Pingreq{}, V5, out);
  encode(Puback{PacketId{1}, {}, {}}, V5, out);
  EXPECT_EQ(to_hex(out), "aa bb c0 00 40 02 00 01");
}

Message sample_message() {
  Message m;
  m.topic = "site/line1/temp";
  m.payload = std::string(50, 'p');
  m.qos = QoS::AtLeastOnce;
  m.props.message_expiry = 3600;
  m.props.content_type = "application/json";
  m.props.user = {{"unit", "C"}};
  return m;
}

Publish as_publish(const Message& m, std::optional<std::uint16_t> alias = std::nullopt) {
  Publish p;
  p.topic = topic(m.topic);
  p.payload = m.payload;
  p.qos = m.qos;
  p.retain = m.retain;
  p.packet_id = PacketId{1};
  p.props.message = m.props;
  p.props.topic_alias = alias;
  return p;
}

TEST(PublishSize, EqualsEncodedSizeOfEquivalentPublish) {
  const auto m = sample_message();
  for (const auto v : {V311, V5}) {
    EXPECT_EQ(publish_size(m, v), encoded_size(as_publish(m), v));
    std::vector<std::byte> out;
    encode(as_publish(m), v, out);
    EXPECT_EQ(publish_size(m, v), out.size());
  }
  EXPECT_EQ(publish_size(m, V5, 7), encoded_size(as_publish(m, 7), V5));
  auto q0 = m;
  q0.qos = QoS::AtMostOnce;
  EXPECT_EQ(publish_size(q0, V5) + 2, publish_size(m, V5));
}

TEST(PublishSize, DecidesLimitMinusOneLimitAndLimitPlusOne) {
  const auto m = sample_message();
  const auto size = publish_size(m, V5);
  std::vector<std::byte> out;
  encode(as_publish(m), V5, out);
  const auto limit = [&](std::size_t max) {
    return decode(out, DecodeOptions{V5, static_cast<std::uint32_t>(max)});
  };
  EXPECT_TRUE(limit(size + 1));
  EXPECT_TRUE(limit(size));
  auto refused = limit(size - 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), ec(MqttErrc::PacketTooLarge));
}

}  // namespace
}  // namespace gw::broker::protocol::test
