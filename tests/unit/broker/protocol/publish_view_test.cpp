// PublishView encodes exactly the bytes of the equivalent Publish.
#include "broker/protocol/publish_view.hpp"

#include <gtest/gtest.h>

#include "broker/protocol/codec.hpp"

namespace gw::broker::protocol {
namespace {

Message sample() {
  Message m;
  m.topic = "site/line1/temp";
  m.payload = "{\"value\":21.5}";
  m.qos = QoS::ExactlyOnce;
  m.retain = true;
  m.props.payload_format = PayloadFormat::Utf8;
  m.props.message_expiry = 120;
  m.props.content_type = "application/json";
  m.props.user = {{"unit", "C"}};
  return m;
}

std::vector<std::byte> bytes_of(const Publish& p, ProtocolVersion v) {
  std::vector<std::byte> out;
  encode(p, v, out);
  return out;
}

// A copy of a message can outgrow the packet it arrived in (a Subscription Identifier, a topic
// where there was an alias): measured, it is larger than any packet, not an abort.
TEST(PublishView, ACopyLargerThanAnyPacketMeasuresOverTheLimit) {
  Message m;
  m.topic = "b";
  m.payload = std::string(kMaxRemainingLength - 8, 'x');
  const std::vector<std::uint32_t> ids{268'435'455};  // 5 bytes more in the copy: one too many
  const PublishView view{.message = m,
                         .qos = QoS::AtMostOnce,
                         .retain = false,
                         .dup = false,
                         .packet_id = PacketId{},
                         .message_expiry = std::nullopt,
                         .subscription_ids = ids};
  EXPECT_EQ(encoded_size(view, ProtocolVersion::V5), 1 + 4 + std::size_t{kMaxRemainingLength} + 1);
  EXPECT_GT(encoded_size(view, ProtocolVersion::V5), kMaxPacketSize);
  EXPECT_EQ(publish_size(m, ProtocolVersion::V5), kMaxPacketSize - 4);  // 256 MiB: it fits
  EXPECT_EQ(packet_size_for(kMaxRemainingLength), kMaxPacketSize);
  EXPECT_GT(packet_size_for(std::size_t{kMaxRemainingLength} + 1), kMaxPacketSize);
}

TEST(PublishView, EncodesLikeTheEquivalentPublishInBothVersions) {
  const Message m = sample();
  const std::uint32_t ids[] = {7, 300};
  for (const auto v : {ProtocolVersion::V5, ProtocolVersion::V311}) {
    for (const auto qos : {QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce}) {
      const PublishView view{.message = m,
                             .qos = qos,
                             .retain = false,
                             .dup = qos != QoS::AtMostOnce,
                             .packet_id = PacketId{0x1234},
                             .message_expiry = 60,
                             .subscription_ids = ids,
                             .topic_alias = 3};
      Publish p{.topic = *TopicName::make(m.topic),
                .payload = m.payload,
                .qos = qos,
                .retain = false,
                .dup = qos != QoS::AtMostOnce,
                .packet_id = qos == QoS::AtMostOnce ? PacketId{} : PacketId{0x1234},
                .props = {}};
      p.props.message = m.props;
      p.props.message.message_expiry = 60;
      p.props.subscription_ids = {7, 300};
      p.props.topic_alias = 3;
      std::vector<std::byte> out;
      encode(view, v, out);
      EXPECT_EQ(out, bytes_of(p, v));
      EXPECT_EQ(encoded_size(view, v), out.size());
    }
  }
}

TEST(PublishView, OmitsTopicWhenAliasIsKnownAndDropsExpiryWhenUnset) {
  const Message m = sample();
  const PublishView view{.message = m,
                         .qos = QoS::AtMostOnce,
                         .message_expiry = std::nullopt,
                         .topic_alias = 5,
                         .omit_topic = true};
  std::vector<std::byte> out;
  encode(view, ProtocolVersion::V5, out);
  auto decoded = decode(out, DecodeOptions{.version = ProtocolVersion::V5});
  ASSERT_TRUE(decoded) << decoded.error().message();
  const auto& p = std::get<Publish>(decoded->packet);
  EXPECT_TRUE(p.topic.empty());
  EXPECT_EQ(p.props.topic_alias, 5);
  EXPECT_FALSE(p.props.message.message_expiry);
  EXPECT_EQ(p.props.message.content_type, "application/json");
  EXPECT_EQ(p.payload, m.payload);
}

}  // namespace
}  // namespace gw::broker::protocol
