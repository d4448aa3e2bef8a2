#include "config/suggest.hpp"

#include <gtest/gtest.h>

namespace gw::config {
namespace {

TEST(Suggest, CountsTranspositionsAsOneEdit) {
  EXPECT_EQ(edit_distance("recieve", "receive"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(Suggest, PicksTheClosestPlausibleCandidate) {
  const std::vector<std::string> keys{"listeners", "max_packet_size", "receive_maximum"};
  EXPECT_EQ(closest_match("max_packet_sise", keys), "max_packet_size");
  EXPECT_EQ(closest_match("listener", keys), "listeners");
  EXPECT_EQ(closest_match("warning", {"error", "warn"}), "warn");
  EXPECT_EQ(closest_match("max_packet", keys), "max_packet_size");
  EXPECT_EQ(did_you_mean("recieve_maximum", keys), "; did you mean 'receive_maximum'?");
}

TEST(Suggest, SuggestsNothingWhenNothingIsClose) {
  EXPECT_EQ(closest_match("colour", {"listeners", "id"}), std::nullopt);
  EXPECT_EQ(closest_match("x", {"id"}), std::nullopt);
  EXPECT_EQ(did_you_mean("zzz", {"id"}), "");
}

}  // namespace
}  // namespace gw::config
