// CONNACK: byte-exact encode/decode in both versions, the 3.1.1 return code mapping, and one
// malformed case per rule.
#include "broker/protocol/codec.hpp"
#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

TEST(Connack, EncodesAndDecodesSessionPresentV311) {
  Connack c;
  c.session_present = true;
  expect_codec(c, V311, "20 02 01 00");
}

TEST(Connack, EncodesAndDecodesEveryV311ReturnCode) {
  const std::pair<ConnackReason, int> cases[] = {
      {ConnackReason::Success, 0},
      {ConnackReason::UnsupportedProtocolVersion, 1},
      {ConnackReason::ClientIdentifierNotValid, 2},
      {ConnackReason::ServerUnavailable, 3},
      {ConnackReason::BadUserNameOrPassword, 4},
      {ConnackReason::NotAuthorized, 5},
  };
  for (const auto& [reason, code] : cases) {
    Connack c;
    c.reason = reason;
    const std::string bytes = "20 02 00 0" + std::to_string(code);
    expect_codec(c, V311, bytes);
  }
}

TEST(Connack, MapsV5OnlyReasonsToClosestV311Code) {
  Connack c;
  c.reason = ConnackReason::Banned;
  EXPECT_EQ(to_hex(encoded(c, V311)), "20 02 00 05");
  c.reason = ConnackReason::ServerBusy;
  EXPECT_EQ(to_hex(encoded(c, V311)), "20 02 00 03");
  c.reason = ConnackReason::QuotaExceeded;
  EXPECT_EQ(encoded_size(c, V311), 4U);
}

TEST(Connack, DropsPropertiesInV311) {
  Connack c;
  c.props.reason_string = "dropped";
  EXPECT_EQ(to_hex(encoded(c, V311)), "20 02 00 00");
  EXPECT_EQ(encoded_size(c, V311), 4U);
}

TEST(Connack, EncodesAndDecodesMinimalV5) { expect_codec(Connack{}, V5, "20 03 00 00 00"); }

TEST(Connack, EncodesAndDecodesFailureReasonV5) {
  Connack c;
  c.reason = ConnackReason::Banned;
  expect_codec(c, V5, "20 03 00 8a 00");
}

TEST(Connack, EncodesAndDecodesEveryPropertyV5) {
  Connack c;
  c.session_present = true;
  auto& p = c.props;
  p.session_expiry = 10;
  p.receive_maximum = 5;
  p.maximum_qos = QoS::AtLeastOnce;
  p.retain_available = false;
  p.maximum_packet_size = 65536;
  p.assigned_client_id = "c1";
  p.topic_alias_maximum = 8;
  p.reason_string = "ok";
  p.user = {{"k", "v"}};
  p.wildcard_subscription_available = true;
  p.subscription_identifiers_available = false;
  p.shared_subscription_available = true;
  p.server_keep_alive = 60;
  p.response_information = "i";
  p.server_reference = "s";
  p.authentication_method = "m";
  p.authentication_data = "d";
  expect_codec(c, V5,
               "20 41 01 00 3e"
               " 11 00 00 00 0a 21 00 05 24 01 25 00 27 00 01 00 00 12 00 02 63 31 22 00 08"
               " 1f 00 02 6f 6b 26 00 01 6b 00 01 76 28 01 29 00 2a 01 13 00 3c"
               " 1a 00 01 69 1c 00 01 73 15 00 01 6d 16 00 01 64");
}

TEST(Connack, RefusesReservedFlagBits) {
  EXPECT_EQ(decode_error("20 02 02 00", V311), ec(MqttErrc::MalformedPacket));
  EXPECT_EQ(decode_error("20 03 80 00 00", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Connack, RefusesReservedV311ReturnCode) {
  EXPECT_EQ(decode_error("20 02 00 06", V311), ec(MqttErrc::ProtocolError));
}

TEST(Connack, RefusesUnknownV5Reason) {
  EXPECT_EQ(decode_error("20 03 00 01 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Connack, RefusesSessionPresentWithFailure) {
  EXPECT_EQ(decode_error("20 02 01 05", V311), ec(MqttErrc::ProtocolError));
  EXPECT_EQ(decode_error("20 03 01 87 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Connack, RefusesWrongRemainingLengthV311) {
  EXPECT_EQ(decode_error("20 03 00 00 00", V311), ec(MqttErrc::MalformedPacket));
  EXPECT_EQ(decode_error("20 01 00", V311), ec(MqttErrc::MalformedPacket));
}

TEST(Connack, RefusesMaximumQosTwo) {
  EXPECT_EQ(decode_error("20 05 00 00 02 24 02", V5), ec(MqttErrc::ProtocolError));
}

TEST(Connack, RefusesRetainAvailableTwo) {
  EXPECT_EQ(decode_error("20 05 00 00 02 25 02", V5), ec(MqttErrc::ProtocolError));
}

TEST(Connack, RefusesAvailabilityFlagsOtherThanZeroOrOne) {
  EXPECT_EQ(decode_error("20 05 00 00 02 28 02", V5), ec(MqttErrc::ProtocolError));
  EXPECT_EQ(decode_error("20 05 00 00 02 29 07", V5), ec(MqttErrc::ProtocolError));
  EXPECT_EQ(decode_error("20 05 00 00 02 2a ff", V5), ec(MqttErrc::ProtocolError));
}

TEST(Connack, RefusesReceiveMaximumZero) {
  EXPECT_EQ(decode_error("20 06 00 00 03 21 00 00", V5), ec(MqttErrc::ProtocolError));
}

TEST(Connack, RefusesDuplicateReasonString) {
  EXPECT_EQ(decode_error("20 0b 00 00 08 1f 00 01 61 1f 00 01 62", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Connack, RefusesPropertyNotAllowedInConnack) {
  // Will Delay Interval (0x18) belongs to the will.
  EXPECT_EQ(decode_error("20 08 00 00 05 18 00 00 00 01", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Connack, RefusesUnknownPropertyIdentifier) {
  EXPECT_EQ(decode_error("20 05 00 00 02 7f 00", V5), ec(MqttErrc::MalformedPacket));
}

TEST(Connack, RefusesAuthenticationDataWithoutMethod) {
  EXPECT_EQ(decode_error("20 07 00 00 04 16 00 01 64", V5), ec(MqttErrc::ProtocolError));
}

}  // namespace
}  // namespace gw::broker::protocol::test
