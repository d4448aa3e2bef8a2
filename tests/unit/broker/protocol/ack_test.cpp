// PUBACK, PUBREC, PUBREL, PUBCOMP: byte-exact encode/decode in both versions and one malformed
// case per rule.
#include "broker/protocol/codec.hpp"
#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

TEST(Puback, EncodesAndDecodesV311) { expect_codec(Puback{PacketId{1}, {}, {}}, V311, "40 02 00 01"); }

TEST(Puback, EncodesSuccessWithoutPropertiesInShortFormV5) {
  expect_codec(Puback{PacketId{1}, PubackReason::Success, {}}, V5, "40 02 00 01");
}

TEST(Puback, EncodesReasonWithoutPropertiesV5) {
  expect_codec(Puback{PacketId{1}, PubackReason::NoMatchingSubscribers, {}}, V5,
               "40 03 00 01 10");
}

TEST(Puback, EncodesAndDecodesReasonAndPropertiesV5) {
  Puback a{PacketId{1}, PubackReason::NotAuthorized, {}};
  a.props.reason_string = "bad";
  expect_codec(a, V5, "40 0a 00 01 87 06 1f 00 03 62 61 64");
}

TEST(Puback, EncodesSuccessWithUserPropertyV5) {
  Puback a{PacketId{0x0102}, PubackReason::Success, {}};
  a.props.user = {{"k", "v"}};
  expect_codec(a, V5, "40 0b 01 02 00 07 26 00 01 6b 00 01 76");
}

TEST(Puback, DecodesReasonWithEmptyPropertyLengthV5) {
  auto p = decode_ok("40 04 00 01 10 00", V5);
  EXPECT_EQ(std::get<Puback>(p).reason, PubackReason::NoMatchingSubscribers);
}

TEST(Puback, DropsReasonAndPropertiesInV311) {
  Puback a{PacketId{1}, PubackReason::QuotaExceeded, {}};
  a.props.reason_string = "x";
  EXPECT_EQ(to_hex(encoded(a, V311)), "40 02 00 01");
}

TEST(Puback, RefusesPacketIdZero) {
  EXPECT_EQ(decode_error("40 02 00 00", V311), ec(MqttErrc::ProtocolError));
  EXPECT_EQ(decode_error("40 02 00 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Puback, RefusesUnknownReason) {
  EXPECT_EQ(decode_error("40 03 00 01 92", V5), ec(MqttErrc::ProtocolError));
}

TEST(Puback, RefusesExtraBytesV311) {
  EXPECT_EQ(decode_error("40 03 00 01 00", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Puback, RefusesShortPacket) {
  EXPECT_EQ(decode_error("40 01 00", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Puback, RefusesReservedFlags) {
  EXPECT_EQ(decode_error("42 02 00 01", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Puback, RefusesPropertyNotAllowedInAck) {
  EXPECT_EQ(decode_error("40 06 00 01 00 02 01 01", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Puback, RefusesDuplicateReasonString) {
  EXPECT_EQ(decode_error("40 0c 00 01 00 08 1f 00 01 61 1f 00 01 62", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Pubrec, EncodesAndDecodesBothVersions) {
  expect_codec(Pubrec{PacketId{7}, {}, {}}, V311, "50 02 00 07");
  expect_codec(Pubrec{PacketId{7}, PubrecReason::QuotaExceeded, {}}, V5, "50 03 00 07 97");
  Pubrec r{PacketId{7}, PubrecReason::PayloadFormatInvalid, {}};
  r.props.reason_string = "p";
  expect_codec(r, V5, "50 08 00 07 99 04 1f 00 01 70");
}

TEST(Pubrec, RefusesReservedFlags) {
  EXPECT_EQ(decode_error("51 02 00 07", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Pubrel, EncodesAndDecodesBothVersions) {
  expect_codec(Pubrel{PacketId{9}, {}, {}}, V311, "62 02 00 09");
  expect_codec(Pubrel{PacketId{9}, PubrelReason::PacketIdentifierNotFound, {}}, V5,
               "62 03 00 09 92");
}

TEST(Pubrel, RefusesFlagsOtherThanTwo) {
  EXPECT_EQ(decode_error("60 02 00 09", V311), ec(MqttErrc::MalformedPacket));
  EXPECT_EQ(decode_error("63 02 00 09", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Pubrel, RefusesPubackOnlyReason) {
  EXPECT_EQ(decode_error("62 03 00 09 10", V5), ec(MqttErrc::ProtocolError));
}

TEST(Pubcomp, EncodesAndDecodesBothVersions) {
  expect_codec(Pubcomp{PacketId{0xffff}, {}, {}}, V311, "70 02 ff ff");
  Pubcomp c{PacketId{0xffff}, PubcompReason::PacketIdentifierNotFound, {}};
  c.props.user = {{"a", ""}};
  expect_codec(c, V5, "70 0a ff ff 92 06 26 00 01 61 00 00");
}

TEST(Pubcomp, RefusesUnknownReason) {
  EXPECT_EQ(decode_error("70 03 00 01 80", V5), ec(MqttErrc::ProtocolError));
}

}  // namespace
}  // namespace gw::broker::protocol::test
