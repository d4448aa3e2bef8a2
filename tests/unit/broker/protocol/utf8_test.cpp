// MQTT UTF-8 Encoded String validation (MQTT 5 §1.5.4).
#include "broker/protocol/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gw::broker::protocol {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_mqtt_utf8(""));
  EXPECT_TRUE(is_valid_mqtt_utf8("plain ascii text, longer than eight bytes"));
  EXPECT_TRUE(is_valid_mqtt_utf8("\xc3\xa9"));              // U+00E9
  EXPECT_TRUE(is_valid_mqtt_utf8("\xe2\x82\xac"));          // U+20AC
  EXPECT_TRUE(is_valid_mqtt_utf8("\xf0\x9f\x98\x80"));      // U+1F600
  EXPECT_TRUE(is_valid_mqtt_utf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
  EXPECT_TRUE(is_valid_mqtt_utf8("\xef\xbb\xbf" "bom"));    // U+FEFF [MQTT-1.5.4-3]
}

TEST(Utf8, AcceptsDiscouragedControlCharacters) {
  // MQTT 5 §1.5.4: U+0001..U+001F and U+007F..U+009F SHOULD NOT appear, but are accepted.
  EXPECT_TRUE(is_valid_mqtt_utf8("\x01\x1f\x7f"));
  EXPECT_TRUE(is_valid_mqtt_utf8("\xc2\x80\xc2\x9f"));
  EXPECT_TRUE(is_valid_mqtt_utf8("\xef\xbf\xbf"));  // U+FFFF non-character
}

TEST(Utf8, RefusesNul) {
  EXPECT_FALSE(is_valid_mqtt_utf8(std::string("a\0b", 3)));
  EXPECT_FALSE(is_valid_mqtt_utf8(std::string("0123456789\0", 11)));
  EXPECT_FALSE(is_valid_mqtt_utf8(std::string("01234567\0", 9)));
}

TEST(Utf8, RefusesSurrogates) {
  EXPECT_FALSE(is_valid_mqtt_utf8("\xed\xa0\x80"));  // U+D800
  EXPECT_FALSE(is_valid_mqtt_utf8("\xed\xbf\xbf"));  // U+DFFF
  EXPECT_TRUE(is_valid_mqtt_utf8("\xed\x9f\xbf"));   // U+D7FF
}

TEST(Utf8, RefusesOverlongForms) {
  EXPECT_FALSE(is_valid_mqtt_utf8("\xc0\x80"));          // overlong U+0000
  EXPECT_FALSE(is_valid_mqtt_utf8("\xc1\xbf"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xe0\x80\xaf"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xf0\x80\x80\xaf"));
}

TEST(Utf8, RefusesIllFormedSequences) {
  EXPECT_FALSE(is_valid_mqtt_utf8("\x80"));              // lone continuation
  EXPECT_FALSE(is_valid_mqtt_utf8("\xc3"));              // truncated
  EXPECT_FALSE(is_valid_mqtt_utf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(is_valid_mqtt_utf8("\xc3\x28"));          // bad continuation
  EXPECT_FALSE(is_valid_mqtt_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_mqtt_utf8("\xf8\x88\x80\x80\x80"));
  EXPECT_FALSE(is_valid_mqtt_utf8("\xff"));
  EXPECT_FALSE(is_valid_mqtt_utf8("abcdefgh\xff"));
}

}  // namespace
}  // namespace gw::broker::protocol
