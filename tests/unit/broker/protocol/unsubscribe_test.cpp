// UNSUBSCRIBE and UNSUBACK: byte-exact encode/decode in both versions and one malformed case per
// rule.
#include "broker/protocol/codec.hpp"
#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

TEST(Unsubscribe, EncodesAndDecodesV311) {
  Unsubscribe u;
  u.packet_id = PacketId{3};
  u.filters.push_back(filter("a/#"));
  expect_codec(u, V311, "a2 07 00 03 00 03 61 2f 23");
}

TEST(Unsubscribe, EncodesAndDecodesV5) {
  Unsubscribe u;
  u.packet_id = PacketId{3};
  u.props.user = {{"k", "v"}};
  u.filters.push_back(filter("a"));
  expect_codec(u, V5, "a2 0d 00 03 07 26 00 01 6b 00 01 76 00 01 61");
}

TEST(Unsubscribe, RefusesNoTopicFilter) {
  EXPECT_EQ(decode_error("a2 02 00 03", V311), ec(MqttErrc::ProtocolError));
  EXPECT_EQ(decode_error("a2 03 00 03 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Unsubscribe, RefusesFlagsOtherThanTwo) {
  EXPECT_EQ(decode_error("a0 05 00 03 00 01 61", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Unsubscribe, RefusesPacketIdZero) {
  EXPECT_EQ(decode_error("a2 05 00 00 00 01 61", V311), ec(MqttErrc::ProtocolError));
}

TEST(Unsubscribe, RefusesInvalidTopicFilter) {
  EXPECT_EQ(decode_error("a2 06 00 03 00 02 23 61", V311), ec(MqttErrc::TopicFilterInvalid));
}

TEST(Unsubscribe, RefusesPropertyNotAllowedInUnsubscribe) {
  EXPECT_EQ(decode_error("a2 08 00 03 02 0b 01 00 01 61", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Unsuback, EncodesAndDecodesV311) {
  expect_codec(Unsuback{PacketId{3}, {}, {}}, V311, "b0 02 00 03");
}

TEST(Unsuback, DropsReasonsInV311) {
  Unsuback u{PacketId{3}, {UnsubackReason::NoSubscriptionExisted}, {}};
  EXPECT_EQ(to_hex(encoded(u, V311)), "b0 02 00 03");
}

TEST(Unsuback, EncodesAndDecodesV5) {
  Unsuback u{PacketId{3}, {UnsubackReason::Success, UnsubackReason::NoSubscriptionExisted}, {}};
  expect_codec(u, V5, "b0 05 00 03 00 00 11");
  u.props.reason_string = "z";
  expect_codec(u, V5, "b0 09 00 03 04 1f 00 01 7a 00 11");
}

TEST(Unsuback, RefusesNoReasonsV5) {
  EXPECT_EQ(decode_error("b0 03 00 03 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Unsuback, RefusesUnknownReason) {
  EXPECT_EQ(decode_error("b0 04 00 03 00 01", V5), ec(MqttErrc::ProtocolError));
}

TEST(Unsuback, RefusesExtraBytesV311) {
  EXPECT_EQ(decode_error("b0 03 00 03 00", V311), ec(MqttErrc::MalformedPacket));
}

}  // namespace
}  // namespace gw::broker::protocol::test
