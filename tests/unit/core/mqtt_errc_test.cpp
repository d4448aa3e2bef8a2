#include "core/mqtt_errc.hpp"

#include <gtest/gtest.h>

namespace gw {
namespace {

TEST(MqttErrc, CarriesReasonCodeValue) {
  const std::error_code ec = MqttErrc::PacketTooLarge;
  EXPECT_EQ(ec.value(), 0x95);
  EXPECT_EQ(ec.category().name(), std::string("mqtt"));
  EXPECT_EQ(ec.message(), "packet too large");
  EXPECT_EQ(to_mqtt_errc(ec), MqttErrc::PacketTooLarge);
}

TEST(MqttErrc, ForeignErrorMapsToUnspecified) {
  const auto ec = std::make_error_code(std::errc::connection_reset);
  EXPECT_EQ(to_mqtt_errc(ec), MqttErrc::UnspecifiedError);
  EXPECT_NE(ec, MqttErrc::UnspecifiedError);
}

TEST(MqttErrc, EveryCodeHasAMessage) {
  for (int v = 0x80; v <= 0xA2; ++v) {
    const std::error_code ec(v, mqtt_category());
    EXPECT_EQ(ec.message().find("unknown"), std::string::npos) << std::hex << v;
  }
  EXPECT_NE(std::error_code(0xA3, mqtt_category()).message().find("unknown"), std::string::npos);
}

}  // namespace
}  // namespace gw
