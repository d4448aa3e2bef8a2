#include "gateway/bridge/props_codec.hpp"

#include <gtest/gtest.h>

#include "gateway/bridge/outbox_errc.hpp"
#include "tests/unit/bridge/outbox_fixture.hpp"

namespace gw::bridge {
namespace {

std::string encoded(const MessageProps& p) {
  std::string out;
  encode_props(p, out);
  return out;
}

TEST(PropsCodec, EncodesNothingWhenNoPropertyIsSet) {
  MessageProps p;
  p.message_expiry = 60;  // kept as expires_at, not in the blob
  EXPECT_TRUE(encoded(p).empty());
  auto decoded = decode_props("");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, MessageProps{});
}

TEST(PropsCodec, EncodesExactBytesWhenFieldsAreSet) {
  MessageProps p;
  p.payload_format = PayloadFormat::Utf8;
  p.content_type = "a";
  p.user = {{"k", ""}};
  const std::string expected("\x01\x13\x01"
                             "\x00\x00\x00\x01"
                             "a"
                             "\x00\x00\x00\x01"
                             "\x00\x00\x00\x01"
                             "k"
                             "\x00\x00\x00\x00",
                             21);
  EXPECT_EQ(encoded(p), expected);
}

TEST(PropsCodec, RoundTripsEveryFieldWhenDecoded) {
  auto p = test::full_message().props;
  p.message_expiry.reset();
  auto decoded = decode_props(encoded(p));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, p);
}

TEST(PropsCodec, KeepsEmptyDistinctFromAbsentWhenDecoded) {
  MessageProps p;
  p.content_type = "";
  p.correlation_data = "";
  p.payload_format = PayloadFormat::Unspecified;
  auto decoded = decode_props(encoded(p));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, p);
  EXPECT_FALSE(decoded->response_topic);
}

TEST(PropsCodec, RejectsBlobWhenTruncatedAnywhere) {
  auto p = test::full_message().props;
  const auto blob = encoded(p);
  for (std::size_t n = 1; n < blob.size(); ++n) {
    auto decoded = decode_props(std::string_view(blob).substr(0, n));
    ASSERT_FALSE(decoded) << n;
    EXPECT_EQ(decoded.error(), OutboxErrc::CorruptRow);
  }
}

TEST(PropsCodec, RejectsBlobWhenMalformed) {
  const auto bad = [](std::string_view blob) {
    auto decoded = decode_props(blob);
    return !decoded && decoded.error() == OutboxErrc::CorruptRow;
  };
  EXPECT_TRUE(bad(std::string("\x02\x01\x00", 3)));  // unknown version
  EXPECT_TRUE(bad(std::string("\x01\x20", 2)));      // unknown flag
  EXPECT_TRUE(bad(std::string("\x01\x00", 2)));      // no flags: would have been encoded as nothing
  EXPECT_TRUE(bad(std::string("\x01\x01\x02", 3)));  // payload format 2
  EXPECT_TRUE(bad(std::string("\x01\x01\x01\x00", 4)));  // trailing byte
  EXPECT_TRUE(bad(std::string("\x01\x10\xff\xff\xff\xff", 6)));  // 4 billion user properties
  EXPECT_TRUE(bad(std::string("\x01\x10\x00\x00\x00\x00", 6)));  // zero user properties
  EXPECT_TRUE(bad(std::string("\x01\x02\x00\x00\x00\x05" "abc", 9)));  // string past the end
  // A content type longer than an MQTT string can be (65,535 bytes), all there: no packet could
  // have carried it, so it is a damaged row (the broker would fail to measure it).
  std::string too_long("\x01\x02\x00\x01\x00\x00", 6);
  too_long.append(65'536, 'c');
  EXPECT_TRUE(bad(too_long));
  std::string longest("\x01\x02\x00\x00\xff\xff", 6);
  longest.append(65'535, 'c');
  EXPECT_FALSE(bad(longest));
}

}  // namespace
}  // namespace gw::bridge
