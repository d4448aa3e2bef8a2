// DISCONNECT, AUTH, PINGREQ, PINGRESP: byte-exact encode/decode in both versions and one
// malformed case per rule.
#include "broker/protocol/codec.hpp"
#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

TEST(Disconnect, EncodesAndDecodesV311) { expect_codec(Disconnect{}, V311, "e0 00"); }

TEST(Disconnect, DropsReasonInV311) {
  Disconnect d{DisconnectReason::ServerShuttingDown, {}};
  EXPECT_EQ(to_hex(encoded(d, V311)), "e0 00");
}

TEST(Disconnect, EncodesNormalWithoutPropertiesInShortFormV5) {
  expect_codec(Disconnect{}, V5, "e0 00");
}

TEST(Disconnect, EncodesReasonOnlyV5) {
  expect_codec(Disconnect{DisconnectReason::DisconnectWithWillMessage, {}}, V5, "e0 01 04");
}

TEST(Disconnect, EncodesAndDecodesEveryPropertyV5) {
  Disconnect d{DisconnectReason::ServerShuttingDown, {}};
  d.props.session_expiry = 0;
  d.props.reason_string = "x";
  d.props.server_reference = "s";
  expect_codec(d, V5, "e0 0f 8b 0d 11 00 00 00 00 1f 00 01 78 1c 00 01 73");
  d.props.user = {{"k", "v"}};
  expect_codec(d, V5,
               "e0 16 8b 14 11 00 00 00 00 1f 00 01 78 26 00 01 6b 00 01 76 1c 00 01 73");
}

TEST(Disconnect, RefusesBodyV311) {
  EXPECT_EQ(decode_error("e0 01 00", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Disconnect, RefusesReservedFlags) {
  EXPECT_EQ(decode_error("e1 00", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Disconnect, RefusesUnknownReason) {
  EXPECT_EQ(decode_error("e0 01 01", V5), ec(MqttErrc::ProtocolError));
}

TEST(Disconnect, RefusesPropertyNotAllowedInDisconnect) {
  EXPECT_EQ(decode_error("e0 04 00 02 24 01", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Auth, EncodesSuccessWithoutPropertiesInShortForm) { expect_codec(Auth{}, V5, "f0 00"); }

TEST(Auth, EncodesAndDecodesContinueWithMethodAndData) {
  Auth a{AuthReason::ContinueAuthentication, {}};
  a.props.authentication_method = "m";
  a.props.authentication_data = "d";
  expect_codec(a, V5, "f0 0a 18 08 15 00 01 6d 16 00 01 64");
  a.props.reason_string = "r";
  a.props.user = {{"k", "v"}};
  expect_codec(a, V5,
               "f0 15 18 13 15 00 01 6d 16 00 01 64 1f 00 01 72 26 00 01 6b 00 01 76");
}

TEST(Auth, EncodesReasonWithEmptyProperties) {
  expect_codec(Auth{AuthReason::ReAuthenticate, {}}, V5, "f0 02 19 00");
}

TEST(Auth, RefusesReasonWithoutPropertyLength) {
  EXPECT_EQ(decode_error("f0 01 18", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Auth, RefusesAuthInV311) {
  EXPECT_EQ(decode_error("f0 00", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Auth, RefusesUnknownReason) {
  EXPECT_EQ(decode_error("f0 02 01 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Auth, RefusesDataWithoutMethod) {
  EXPECT_EQ(decode_error("f0 06 18 04 16 00 01 64", V5), ec(MqttErrc::ProtocolError));
}

TEST(Auth, RefusesDuplicateMethod) {
  EXPECT_EQ(decode_error("f0 0a 18 08 15 00 01 6d 15 00 01 6e", V5), ec(MqttErrc::ProtocolError));
}

TEST(Auth, RefusesReservedFlags) {
  EXPECT_EQ(decode_error("f2 00", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Ping, EncodesAndDecodesBothVersions) {
  expect_codec(Pingreq{}, V311, "c0 00");
  expect_codec(Pingreq{}, V5, "c0 00");
  expect_codec(Pingresp{}, V311, "d0 00");
  expect_codec(Pingresp{}, V5, "d0 00");
}

TEST(Ping, RefusesBody) {
  EXPECT_EQ(decode_error("c0 01 00", V5), ec(MqttErrc::MalformedPacket));
  EXPECT_EQ(decode_error("d0 01 00", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Ping, RefusesReservedFlags) {
  EXPECT_EQ(decode_error("c1 00", V5), ec(MqttErrc::MalformedPacket));
  EXPECT_EQ(decode_error("d8 00", V311), ec(MqttErrc::MalformedPacket));
}

}  // namespace
}  // namespace gw::broker::protocol::test
