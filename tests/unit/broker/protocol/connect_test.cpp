// CONNECT: byte-exact encode/decode in both versions and one malformed case per rule.
#include "broker/protocol/codec.hpp"
#include "codec_test_support.hpp"

namespace gw::broker::protocol::test {
namespace {

Connect full_v5() {
  Connect c;
  c.version = V5;
  c.client_id = "id";
  c.keep_alive = 30;
  c.clean_start = true;
  c.username = "u";
  c.password = "p";
  c.props.session_expiry = 120;
  c.props.receive_maximum = 20;
  c.props.maximum_packet_size = 1024;
  c.props.topic_alias_maximum = 10;
  c.props.request_response_information = true;
  c.props.request_problem_information = false;
  c.props.user = {{"k", "v"}};
  c.props.authentication_method = "m";
  c.props.authentication_data = "d";
  Will w;
  w.topic = topic("w/t");
  w.payload = "x";
  w.qos = QoS::ExactlyOnce;
  w.delay_interval = 5;
  w.props.payload_format = PayloadFormat::Utf8;
  w.props.message_expiry = 60;
  w.props.content_type = "t";
  w.props.response_topic = "r";
  w.props.correlation_data = "c";
  w.props.user = {{"a", "b"}};
  c.will = w;
  return c;
}

// MQTT 5 §3.1 CONNECT with every property, a will with every will property, user and password.
constexpr std::string_view kFullV5 =
    "10 60 00 04 4d 51 54 54 05 d6 00 1e"
    " 23 11 00 00 00 78 21 00 14 27 00 00 04 00 22 00 0a 19 01 17 00"
    "    26 00 01 6b 00 01 76 15 00 01 6d 16 00 01 64"
    " 00 02 69 64"
    " 1f 18 00 00 00 05 01 01 02 00 00 00 3c 03 00 01 74 08 00 01 72 09 00 01 63"
    "    26 00 01 61 00 01 62"
    " 00 03 77 2f 74 00 01 78 00 01 75 00 01 70";

TEST(Connect, EncodesAndDecodesMinimalV311) {
  Connect c;
  c.version = V311;
  c.client_id = "c1";
  c.keep_alive = 60;
  expect_codec(c, V311, "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31");
}

TEST(Connect, EncodesAndDecodesWillUserPasswordV311) {
  Connect c;
  c.version = V311;
  c.client_id = "id";
  c.clean_start = false;
  c.keep_alive = 10;
  c.username = "u";
  c.password = "p";
  Will w;
  w.topic = topic("w");
  w.payload = "bye";
  w.qos = QoS::AtLeastOnce;
  w.retain = true;
  c.will = w;
  expect_codec(c, V311,
               "10 1c 00 04 4d 51 54 54 04 ec 00 0a 00 02 69 64 00 01 77 00 03 62 79 65"
               " 00 01 75 00 01 70");
}

TEST(Connect, EncodesAndDecodesMinimalV5) {
  Connect c;
  c.client_id = "c1";
  c.keep_alive = 60;
  expect_codec(c, V5, "10 0f 00 04 4d 51 54 54 05 02 00 3c 00 00 02 63 31");
}

TEST(Connect, EncodesAndDecodesEveryPropertyV5) { expect_codec(full_v5(), V5, kFullV5); }

TEST(Connect, UsesItsOwnVersionWhateverTheArgument) {
  Connect c;
  c.version = V311;
  c.client_id = "c1";
  c.keep_alive = 60;
  EXPECT_EQ(to_hex(encoded(c, V5)), "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31");
  // And it decodes before the connection's version is known.
  auto d = decode(hex("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31"), DecodeOptions{});
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<Connect>(d->packet).version, V311);
}

TEST(Connect, AcceptsPasswordWithoutUsernameInV5) {
  auto p = decode_ok("10 12 00 04 4d 51 54 54 05 42 00 3c 00 00 02 63 31 00 01 70", V5);
  EXPECT_EQ(std::get<Connect>(p).password, "p");
  EXPECT_FALSE(std::get<Connect>(p).username);
}

TEST(Connect, RefusesPasswordWithoutUsernameInV311) {
  EXPECT_EQ(decode_error("10 11 00 04 4d 51 54 54 04 42 00 3c 00 02 63 31 00 01 70", V311),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesReservedFlag) {
  EXPECT_EQ(decode_error("10 0e 00 04 4d 51 54 54 04 03 00 3c 00 02 63 31", V311),
            ec(MqttErrc::MalformedPacket));
}

TEST(Connect, RefusesWillQos3) {
  EXPECT_EQ(decode_error("10 0e 00 04 4d 51 54 54 04 1e 00 3c 00 02 63 31", V311),
            ec(MqttErrc::MalformedPacket));
}

TEST(Connect, RefusesWillQosWithoutWillFlag) {
  EXPECT_EQ(decode_error("10 0e 00 04 4d 51 54 54 04 0a 00 3c 00 02 63 31", V311),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesWillRetainWithoutWillFlag) {
  EXPECT_EQ(decode_error("10 0f 00 04 4d 51 54 54 05 22 00 3c 00 00 02 63 31", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesMqtt31WithUnsupportedVersionAndReportsLevel) {
  const auto bytes = hex("10 10 00 06 4d 51 49 73 64 70 03 02 00 3c 00 02 63 31");
  auto d = decode(bytes, DecodeOptions{});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), ec(MqttErrc::UnsupportedProtocolVersion));
  EXPECT_EQ(peek_protocol_level(bytes), 3);
}

TEST(Connect, RefusesUnknownLevelWithUnsupportedVersion) {
  const auto bytes = hex("10 0e 00 04 4d 51 54 54 06 02 00 3c 00 02 63 31");
  EXPECT_EQ(decode_error("10 0e 00 04 4d 51 54 54 06 02 00 3c 00 02 63 31", V5),
            ec(MqttErrc::UnsupportedProtocolVersion));
  EXPECT_EQ(peek_protocol_level(bytes), 6);
}

TEST(Connect, RefusesOtherProtocolName) {
  EXPECT_EQ(decode_error("10 0e 00 04 4d 51 54 58 04 02 00 3c 00 02 63 31", V311),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesWildcardWillTopic) {
  EXPECT_EQ(decode_error("10 13 00 04 4d 51 54 54 04 06 00 3c 00 02 63 31 00 01 23 00 00", V311),
            ec(MqttErrc::TopicNameInvalid));
}

TEST(Connect, RefusesTrailingBytes) {
  EXPECT_EQ(decode_error("10 0f 00 04 4d 51 54 54 04 02 00 3c 00 02 63 31 00", V311),
            ec(MqttErrc::MalformedPacket));
}

TEST(Connect, RefusesTruncatedClientId) {
  EXPECT_EQ(decode_error("10 0d 00 04 4d 51 54 54 04 02 00 3c 00 02 63", V311),
            ec(MqttErrc::MalformedPacket));
}

TEST(Connect, RefusesInvalidUtf8ClientId) {
  EXPECT_EQ(decode_error("10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 c3 28", V311),
            ec(MqttErrc::MalformedPacket));
}

TEST(Connect, RefusesReceiveMaximumZero) {
  EXPECT_EQ(decode_error("10 12 00 04 4d 51 54 54 05 02 00 3c 03 21 00 00 00 02 63 31", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesMaximumPacketSizeZero) {
  EXPECT_EQ(decode_error("10 14 00 04 4d 51 54 54 05 02 00 3c 05 27 00 00 00 00 00 02 63 31", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesRequestProblemInformationTwo) {
  EXPECT_EQ(decode_error("10 11 00 04 4d 51 54 54 05 02 00 3c 02 17 02 00 02 63 31", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesRequestResponseInformationTwo) {
  EXPECT_EQ(decode_error("10 11 00 04 4d 51 54 54 05 02 00 3c 02 19 02 00 02 63 31", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesAuthenticationDataWithoutMethod) {
  EXPECT_EQ(decode_error("10 13 00 04 4d 51 54 54 05 02 00 3c 04 16 00 01 64 00 02 63 31", V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesDuplicateSessionExpiry) {
  EXPECT_EQ(decode_error("10 19 00 04 4d 51 54 54 05 02 00 3c 0a 11 00 00 00 01 11 00 00 00 02"
                         " 00 02 63 31",
                         V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesPropertyNotAllowedInConnect) {
  // Topic Alias (0x23) belongs to PUBLISH.
  EXPECT_EQ(decode_error("10 12 00 04 4d 51 54 54 05 02 00 3c 03 23 00 01 00 02 63 31", V5),
            ec(MqttErrc::MalformedPacket));
}

TEST(Connect, RefusesWillPropertyNotAllowedInWill) {
  // Session Expiry (0x11) is not a will property.
  EXPECT_EQ(decode_error("10 1a 00 04 4d 51 54 54 05 06 00 3c 00 00 02 63 31 05 11 00 00 00 01"
                         " 00 01 77 00 00",
                         V5),
            ec(MqttErrc::MalformedPacket));
}

TEST(Connect, RefusesWillResponseTopicWithWildcard) {
  EXPECT_EQ(decode_error("10 19 00 04 4d 51 54 54 05 06 00 3c 00 00 02 63 31 04 08 00 01 23"
                         " 00 01 77 00 00",
                         V5),
            ec(MqttErrc::ProtocolError));
}

TEST(Connect, RefusesPropertyLengthBeyondPacket) {
  EXPECT_EQ(decode_error("10 0f 00 04 4d 51 54 54 05 02 00 3c 09 00 02 63 31", V5),
            ec(MqttErrc::MalformedPacket));
}

}  // namespace
}  // namespace gw::broker::protocol::test
