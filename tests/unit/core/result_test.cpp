#include "core/result.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/mqtt_errc.hpp"

namespace gw {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return fail(MqttErrc::ProtocolError);
  return v;
}

Result<int> doubled(int v) {
  GW_TRY(x, parse_positive(v));
  return x * 2;
}

Result<void> check_even(int v) {
  if (v % 2 != 0) return fail(std::errc::invalid_argument);
  return {};
}

TEST(Result, HoldsValueWhenConstructedFromValue) {
  auto r = parse_positive(3);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 3);
}

TEST(Result, HoldsErrorWhenConstructedFromFailure) {
  auto r = parse_positive(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), MqttErrc::ProtocolError);
  EXPECT_NE(r.error(), MqttErrc::MalformedPacket);
}

TEST(Result, TryPropagatesErrorAndUnwrapsValue) {
  EXPECT_EQ(*doubled(4), 8);
  auto r = doubled(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), MqttErrc::ProtocolError);
}

TEST(Result, VoidResultCarriesErrno) {
  EXPECT_TRUE(check_even(2));
  auto r = check_even(3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::invalid_argument);
}

TEST(Result, MovesOnlyTypesOut) {
  Result<std::unique_ptr<std::string>> r(std::make_unique<std::string>("x"));
  auto p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, "x");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  auto r = parse_positive(0);
  EXPECT_DEATH((void)r.value(), "");
}

}  // namespace
}  // namespace gw
