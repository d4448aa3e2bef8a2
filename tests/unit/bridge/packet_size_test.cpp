// The bridge decides "too large for the remote" with broker::protocol::publish_size on the message
// it is about to send. These tests pin that this size is the exact number of bytes the codec
// writes for such a PUBLISH, properties and the bridge's sequence user property included.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/protocol/codec.hpp"
#include "broker/protocol/publish.hpp"
#include "core/message.hpp"

namespace gw::bridge {
namespace {

using broker::protocol::ProtocolVersion;

std::size_t encoded_bytes(const Message& m) {
  broker::protocol::Publish publish;
  publish.topic = *broker::protocol::TopicName::make(m.topic);
  publish.payload = m.payload;
  publish.qos = m.qos;
  publish.retain = m.retain;
  if (m.qos != QoS::AtMostOnce) publish.packet_id = broker::protocol::PacketId{1};
  publish.props.message = m.props;
  std::vector<std::byte> out;
  broker::protocol::encode(publish, ProtocolVersion::V5, out);
  return out.size();
}

TEST(BridgePacketSize, MatchesEncodedBytesWhenMessageHasAllProperties) {
  Message m;
  m.topic = "site-7/boiler/temp";
  m.payload = std::string(100, 'x');
  m.qos = QoS::AtLeastOnce;
  m.retain = true;
  m.props.payload_format = PayloadFormat::Utf8;
  m.props.message_expiry = 60;
  m.props.content_type = "application/json";
  m.props.response_topic = "r/t";
  m.props.correlation_data = "abc";
  m.props.user = {{"seq", "12345"}, {"unit", "C"}};
  EXPECT_EQ(broker::protocol::publish_size(m, ProtocolVersion::V5), encoded_bytes(m));
}

TEST(BridgePacketSize, CrossesLimitExactlyWhenPayloadGrowsByOneByte) {
  Message m;
  m.topic = "t";
  m.qos = QoS::AtMostOnce;
  m.payload = std::string(120, 'x');
  const auto base = broker::protocol::publish_size(m, ProtocolVersion::V5);
  // 1 fixed header + 1 VBI + 2+1 topic + 1 property length + 120 payload.
  EXPECT_EQ(base, 126u);
  m.payload.push_back('y');
  EXPECT_EQ(broker::protocol::publish_size(m, ProtocolVersion::V5), base + 1);
  m.payload.resize(200);  // Remaining Length needs a second VBI byte past 127
  EXPECT_EQ(broker::protocol::publish_size(m, ProtocolVersion::V5), encoded_bytes(m));
}

}  // namespace
}  // namespace gw::bridge
