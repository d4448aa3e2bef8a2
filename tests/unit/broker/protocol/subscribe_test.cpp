// SUBSCRIBE and SUBACK: byte-exact encode/decode in both versions and one malformed case per
// rule.
#include "broker/protocol/codec.hpp"
#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

TEST(Subscribe, EncodesAndDecodesV311) {
  Subscribe s;
  s.packet_id = PacketId{1};
  s.subscriptions.push_back({filter("a/+"), {QoS::AtLeastOnce, false, false, {}}});
  s.subscriptions.push_back({filter("#"), {}});
  expect_codec(s, V311, "82 0c 00 01 00 03 61 2f 2b 01 00 01 23 00");
}

TEST(Subscribe, EncodesAndDecodesAllOptionsAndPropertiesV5) {
  Subscribe s;
  s.packet_id = PacketId{2};
  s.props.subscription_id = 300;
  s.props.user = {{"k", "v"}};
  s.subscriptions.push_back(
      {filter("$share/g/x"), {QoS::ExactlyOnce, false, true, RetainHandling::DoNotSend}});
  s.subscriptions.push_back(
      {filter("y"), {QoS::AtLeastOnce, true, false, RetainHandling::SendOnNewSubscribe}});
  expect_codec(s, V5,
               "82 1e 00 02 0a 0b ac 02 26 00 01 6b 00 01 76"
               " 00 0a 24 73 68 61 72 65 2f 67 2f 78 2a 00 01 79 15");
  auto p = std::get<Subscribe>(decode_ok(
      "82 1e 00 02 0a 0b ac 02 26 00 01 6b 00 01 76 00 0a 24 73 68 61 72 65 2f 67 2f 78 2a"
      " 00 01 79 15",
      V5));
  EXPECT_EQ(p.subscriptions[0].filter.share_name(), "g");
  EXPECT_EQ(p.subscriptions[0].filter.filter(), "x");
}

TEST(Subscribe, DropsV5OptionsInV311) {
  Subscribe s;
  s.packet_id = PacketId{1};
  s.props.subscription_id = 3;
  s.subscriptions.push_back({filter("a"), {QoS::AtLeastOnce, true, true, RetainHandling::DoNotSend}});
  EXPECT_EQ(to_hex(encoded(s, V311)), "82 06 00 01 00 01 61 01");
}

TEST(Subscribe, RefusesNoTopicFilter) {
  EXPECT_EQ(decode_error("82 02 00 01", V311), ec(MqttErrc::ProtocolError));
  EXPECT_EQ(decode_error("82 03 00 01 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Subscribe, RefusesFlagsOtherThanTwo) {
  EXPECT_EQ(decode_error("80 06 00 01 00 01 61 00", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Subscribe, RefusesPacketIdZero) {
  EXPECT_EQ(decode_error("82 06 00 00 00 01 61 00", V311), ec(MqttErrc::ProtocolError));
}

TEST(Subscribe, RefusesReservedOptionBitsV311) {
  EXPECT_EQ(decode_error("82 06 00 01 00 01 61 04", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Subscribe, RefusesQos3V311) {
  EXPECT_EQ(decode_error("82 06 00 01 00 01 61 03", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Subscribe, RefusesReservedOptionBitsV5) {
  EXPECT_EQ(decode_error("82 07 00 01 00 00 01 61 40", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Subscribe, RefusesQos3V5) {
  EXPECT_EQ(decode_error("82 07 00 01 00 00 01 61 03", V5), ec(MqttErrc::ProtocolError));
}

TEST(Subscribe, RefusesRetainHandling3) {
  EXPECT_EQ(decode_error("82 07 00 01 00 00 01 61 30", V5), ec(MqttErrc::ProtocolError));
}

TEST(Subscribe, RefusesNoLocalOnSharedSubscription) {
  EXPECT_EQ(decode_error("82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 78 04", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Subscribe, RefusesInvalidTopicFilter) {
  EXPECT_EQ(decode_error("82 0a 00 01 00 05 61 2f 23 2f 62 00", V311),
            ec(MqttErrc::TopicFilterInvalid));
  EXPECT_EQ(decode_error("82 08 00 01 00 00 02 61 2b 00", V5), ec(MqttErrc::TopicFilterInvalid));
}

TEST(Subscribe, RefusesEmptyTopicFilter) {
  EXPECT_EQ(decode_error("82 05 00 01 00 00 00", V311), ec(MqttErrc::TopicFilterInvalid));
}

TEST(Subscribe, RefusesMissingOptionsByte) {
  EXPECT_EQ(decode_error("82 05 00 01 00 01 61", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Subscribe, RefusesSubscriptionIdentifierZero) {
  EXPECT_EQ(decode_error("82 09 00 01 02 0b 00 00 01 61 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Subscribe, RefusesRepeatedSubscriptionIdentifier) {
  EXPECT_EQ(decode_error("82 0b 00 01 04 0b 01 0b 02 00 01 61 00", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Subscribe, RefusesPropertyNotAllowedInSubscribe) {
  EXPECT_EQ(decode_error("82 0b 00 01 04 1f 00 01 61 00 01 61 00", V5),
            ec(MqttErrc::MalformedPacket));
}

TEST(Suback, EncodesAndDecodesV311) {
  Suback s{PacketId{1}, {SubackReason::GrantedQoS1, SubackReason::UnspecifiedError}, {}};
  expect_codec(s, V311, "90 04 00 01 01 80");
}

TEST(Suback, MapsV5FailuresTo0x80InV311) {
  Suback s{PacketId{1}, {SubackReason::GrantedQoS2, SubackReason::NotAuthorized}, {}};
  EXPECT_EQ(to_hex(encoded(s, V311)), "90 04 00 01 02 80");
}

TEST(Suback, EncodesAndDecodesV5) {
  Suback s{PacketId{2},
           {SubackReason::GrantedQoS2, SubackReason::TopicFilterInvalid,
            SubackReason::WildcardSubscriptionsNotSupported},
           {}};
  expect_codec(s, V5, "90 06 00 02 00 02 8f a2");
  s.props.reason_string = "r";
  expect_codec(s, V5, "90 0a 00 02 04 1f 00 01 72 02 8f a2");
}

TEST(Suback, RefusesReservedV311Code) {
  EXPECT_EQ(decode_error("90 03 00 01 87", V311), ec(MqttErrc::ProtocolError));
}

TEST(Suback, RefusesUnknownV5Reason) {
  EXPECT_EQ(decode_error("90 04 00 01 00 03", V5), ec(MqttErrc::ProtocolError));
}

TEST(Suback, RefusesNoReasons) {
  EXPECT_EQ(decode_error("90 02 00 01", V311), ec(MqttErrc::ProtocolError));
  EXPECT_EQ(decode_error("90 03 00 01 00", V5), ec(MqttErrc::ProtocolError));
}

}  // namespace
}  // namespace gw::broker::protocol::test
