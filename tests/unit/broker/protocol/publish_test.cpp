// PUBLISH: byte-exact encode/decode in both versions and one malformed case per rule.
#include "broker/protocol/codec.hpp"
#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

TEST(Publish, EncodesAndDecodesQos0V311) {
  Publish p;
  p.topic = topic("a/b");
  p.payload = "hi";
  expect_codec(p, V311, "30 07 00 03 61 2f 62 68 69");
}

TEST(Publish, EncodesAndDecodesQos1RetainDupV311) {
  Publish p;
  p.topic = topic("a/b");
  p.payload = "hi";
  p.qos = QoS::AtLeastOnce;
  p.retain = true;
  p.dup = true;
  p.packet_id = PacketId{10};
  expect_codec(p, V311, "3b 09 00 03 61 2f 62 00 0a 68 69");
}

TEST(Publish, EncodesAndDecodesEmptyPayloadV311) {
  Publish p;
  p.topic = topic("a");
  expect_codec(p, V311, "30 03 00 01 61");
}

TEST(Publish, EncodesAndDecodesQos0V5) {
  Publish p;
  p.topic = topic("a/b");
  p.payload = "hi";
  expect_codec(p, V5, "30 08 00 03 61 2f 62 00 68 69");
}

TEST(Publish, EncodesAndDecodesEveryPropertyV5) {
  Publish p;
  p.topic = topic("t");
  p.payload = "p";
  p.qos = QoS::ExactlyOnce;
  p.packet_id = PacketId{0x1234};
  p.props.message.payload_format = PayloadFormat::Utf8;
  p.props.message.message_expiry = 100;
  p.props.message.content_type = "j";
  p.props.message.response_topic = "r";
  p.props.message.correlation_data = "c";
  p.props.message.user = {{"k", "v"}};
  p.props.topic_alias = 5;
  p.props.subscription_ids = {1, 200};
  expect_codec(p, V5,
               "34 29 00 01 74 12 34 22"
               " 01 01 02 00 00 00 64 03 00 01 6a 08 00 01 72 09 00 01 63 26 00 01 6b 00 01 76"
               " 23 00 05 0b 01 0b c8 01"
               " 70");
}

TEST(Publish, EncodesAndDecodesEmptyTopicWithAliasV5) {
  Publish p;
  p.payload = "x";
  p.props.topic_alias = 1;
  expect_codec(p, V5, "30 07 00 00 03 23 00 01 78");
  EXPECT_TRUE(std::get<Publish>(decode_ok("30 07 00 00 03 23 00 01 78", V5)).topic.empty());
}

TEST(Publish, KeepsUserPropertyOrderAndRepeats) {
  Publish p;
  p.topic = topic("a");
  p.props.message.user = {{"b", "1"}, {"a", "2"}, {"b", "3"}};
  const auto bytes = encoded(p, V5);
  auto d = decode(bytes, opts(V5));
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<Publish>(d->packet).props.message.user, p.props.message.user);
}

TEST(Publish, DropsPropertiesInV311) {
  Publish p;
  p.topic = topic("a");
  p.props.message.message_expiry = 5;
  p.props.topic_alias = 3;
  EXPECT_EQ(to_hex(encoded(p, V311)), "30 03 00 01 61");
}

TEST(Publish, RefusesQos3) {
  EXPECT_EQ(decode_error("36 05 00 01 61 00 01", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Publish, RefusesDupWithQos0) {
  EXPECT_EQ(decode_error("38 04 00 01 61 00", V5), ec(MqttErrc::ProtocolError));
  EXPECT_EQ(decode_error("38 03 00 01 61", V311), ec(MqttErrc::ProtocolError));
}

TEST(Publish, RefusesPacketIdZero) {
  EXPECT_EQ(decode_error("32 05 00 01 61 00 00", V311), ec(MqttErrc::ProtocolError));
}

TEST(Publish, RefusesWildcardTopic) {
  EXPECT_EQ(decode_error("30 05 00 03 61 2f 2b", V311), ec(MqttErrc::TopicNameInvalid));
  EXPECT_EQ(decode_error("30 04 00 01 23 00", V5), ec(MqttErrc::TopicNameInvalid));
}

TEST(Publish, RefusesEmptyTopicWithoutAlias) {
  EXPECT_EQ(decode_error("30 03 00 00 00", V5), ec(MqttErrc::ProtocolError));
  EXPECT_EQ(decode_error("30 02 00 00", V311), ec(MqttErrc::ProtocolError));
}

TEST(Publish, RefusesInvalidUtf8Topic) {
  EXPECT_EQ(decode_error("30 04 00 02 c3 28", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Publish, RefusesNulInTopic) {
  EXPECT_EQ(decode_error("30 05 00 03 61 00 62", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Publish, RefusesSurrogateInTopic) {
  EXPECT_EQ(decode_error("30 05 00 03 ed a0 80", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Publish, RefusesTruncatedTopic) {
  EXPECT_EQ(decode_error("30 03 00 05 61", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Publish, RefusesTopicAliasZero) {
  EXPECT_EQ(decode_error("30 07 00 01 61 03 23 00 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Publish, RefusesPayloadFormatIndicatorTwo) {
  EXPECT_EQ(decode_error("30 06 00 01 61 02 01 02", V5), ec(MqttErrc::ProtocolError));
}

TEST(Publish, RefusesDuplicateMessageExpiry) {
  EXPECT_EQ(decode_error("30 0e 00 01 61 0a 02 00 00 00 01 02 00 00 00 02", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Publish, RefusesDuplicateTopicAlias) {
  EXPECT_EQ(decode_error("30 0a 00 01 61 06 23 00 01 23 00 02", V5), ec(MqttErrc::ProtocolError));
}

TEST(Publish, AcceptsRepeatedSubscriptionIdentifiers) {
  auto p = decode_ok("30 08 00 01 61 04 0b 01 0b 02", V5);
  EXPECT_EQ(std::get<Publish>(p).props.subscription_ids, (std::vector<std::uint32_t>{1, 2}));
}

TEST(Publish, RefusesSubscriptionIdentifierZero) {
  EXPECT_EQ(decode_error("30 06 00 01 61 02 0b 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Publish, RefusesNonMinimalSubscriptionIdentifier) {
  EXPECT_EQ(decode_error("30 07 00 01 61 03 0b 81 00", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Publish, RefusesPropertyNotAllowedInPublish) {
  EXPECT_EQ(decode_error("30 09 00 01 61 05 11 00 00 00 01", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Publish, RefusesResponseTopicWithWildcard) {
  EXPECT_EQ(decode_error("30 08 00 01 61 04 08 00 01 2b", V5), ec(MqttErrc::ProtocolError));
}

TEST(Publish, RefusesInvalidUtf8InUserProperty) {
  EXPECT_EQ(decode_error("30 0b 00 01 61 07 26 00 01 ff 00 01 76", V5),
            ec(MqttErrc::MalformedPacket));
}

TEST(Publish, RefusesPropertyValueCutByPropertyLength) {
  // Property Length 2 covers only part of the Message Expiry Interval.
  EXPECT_EQ(decode_error("30 0a 00 01 61 02 02 00 00 00 01", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Publish, LeavesPayloadFormatValidationToTheBroker) {
  // Payload Format Indicator 1 with a payload that is not UTF-8 decodes; see codec.hpp.
  auto p = decode_ok("30 07 00 01 61 02 01 01 ff", V5);
  EXPECT_EQ(std::get<Publish>(p).payload, "\xff");
}

}  // namespace
}  // namespace gw::broker::protocol::test
