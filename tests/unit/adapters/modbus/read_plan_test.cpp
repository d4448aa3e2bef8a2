#include "adapters/modbus/read_plan.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <ostream>
#include <vector>

namespace gw::adapters::modbus {

// Readable failures: "{HoldingRegister 10+4 [0,1]}".
void PrintTo(const ReadRequest& r, std::ostream* os) {
  static const char* const kTables[] = {"Coil", "DiscreteInput", "HoldingRegister",
                                        "InputRegister"};
  *os << "{" << kTables[static_cast<int>(r.table)] << " " << r.address << "+" << r.count << " [";
  for (std::size_t i = 0; i < r.points.size(); ++i) *os << (i ? "," : "") << r.points[i];
  *os << "]}";
}

namespace {

using Indices = std::vector<std::size_t>;
constexpr auto kHr = Table::HoldingRegister;
constexpr auto kIr = Table::InputRegister;
constexpr auto kCoil = Table::Coil;
constexpr auto kDi = Table::DiscreteInput;

PointOptions point(Table table, std::uint16_t address, DataType type = DataType::Uint16,
                   std::uint16_t length = 0) {
  PointOptions p;
  p.name = "p" + std::to_string(address);
  p.table = table;
  p.address = address;
  p.type = is_bit_table(table) ? DataType::Bool : type;
  p.length = length;
  return p;
}

PointOptions bit(std::uint16_t address, std::uint8_t b) {
  PointOptions p = point(kHr, address, DataType::Bit);
  p.bit = b;
  return p;
}

DeviceOptions device(std::vector<PointOptions> points, std::uint16_t max_gap = 10,
                     std::uint16_t max_registers = 125, std::uint16_t max_bits = 2000) {
  DeviceOptions d;
  d.name = "d";
  d.max_gap = max_gap;
  d.max_registers_per_read = max_registers;
  d.max_bits_per_read = max_bits;
  d.points = std::move(points);
  return d;
}

Indices all(const DeviceOptions& d) {
  Indices i(d.points.size());
  std::iota(i.begin(), i.end(), 0);
  return i;
}

std::vector<ReadRequest> plan(const DeviceOptions& d) { return plan_reads(d, all(d)); }

TEST(ReadPlan, MergesAdjacentPointsIntoOneRequest) {
  const auto d = device({point(kHr, 0), point(kHr, 1), point(kHr, 2, DataType::Float32),
                         point(kHr, 4, DataType::Float64)},
                        0);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 0, 8, {0, 1, 2, 3}}}));
}

TEST(ReadPlan, ReturnsNothingWhenThereAreNoPoints) {
  const auto d = device({point(kHr, 0)});
  EXPECT_TRUE(plan_reads(d, Indices{}).empty());
}

TEST(ReadPlan, FillsGapWhenItIsExactlyMaxGap) {
  // Point 0 ends at 1; point 1 starts at 11: a gap of 10 registers.
  const auto d = device({point(kHr, 0), point(kHr, 11)}, 10);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 0, 12, {0, 1}}}));
}

TEST(ReadPlan, SplitsWhenGapIsOneMoreThanMaxGap) {
  const auto d = device({point(kHr, 0), point(kHr, 12)}, 10);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 0, 1, {0}}, {kHr, 12, 1, {1}}}));
}

TEST(ReadPlan, MergesOnlyAdjacentPointsWhenMaxGapIsZero) {
  const auto d = device({point(kHr, 0), point(kHr, 1), point(kHr, 3)}, 0);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 0, 2, {0, 1}}, {kHr, 3, 1, {2}}}));
}

TEST(ReadPlan, MergesWhenSpanIsExactlyMaxRegisters) {
  const auto d = device({point(kHr, 100), point(kHr, 109)}, 20, 10);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 100, 10, {0, 1}}}));
}

TEST(ReadPlan, SplitsWhenSpanIsOneOverMaxRegisters) {
  const auto d = device({point(kHr, 100), point(kHr, 110)}, 20, 10);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 100, 1, {0}}, {kHr, 110, 1, {1}}}));
}

TEST(ReadPlan, KeepsFourRegisterTypeWholeWhenItWouldCrossTheLimit) {
  // A float64 at 6 ends at 10: exactly 10 registers. At 7 it would need 11.
  const auto fits = device({point(kHr, 0), point(kHr, 6, DataType::Float64)}, 10, 10);
  EXPECT_EQ(plan(fits), (std::vector<ReadRequest>{{kHr, 0, 10, {0, 1}}}));
  const auto crosses = device({point(kHr, 0), point(kHr, 7, DataType::Uint64)}, 10, 10);
  EXPECT_EQ(plan(crosses), (std::vector<ReadRequest>{{kHr, 0, 1, {0}}, {kHr, 7, 4, {1}}}));
}

TEST(ReadPlan, UsesMaxRegistersOf125ByDefault) {
  std::vector<PointOptions> points;
  for (std::uint16_t a = 0; a < 126; ++a) points.push_back(point(kIr, a));
  const auto d = device(points);
  const auto p = plan(d);
  ASSERT_EQ(p.size(), 2U);
  EXPECT_EQ(p[0].address, 0);
  EXPECT_EQ(p[0].count, 125);
  EXPECT_EQ(p[0].points.size(), 125U);
  EXPECT_EQ(p[1], (ReadRequest{kIr, 125, 1, {125}}));
}

TEST(ReadPlan, MergesBitsWhenSpanIsExactlyMaxBits) {
  const auto d = device({point(kCoil, 0), point(kCoil, 15)}, 20, 125, 16);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kCoil, 0, 16, {0, 1}}}));
}

TEST(ReadPlan, SplitsBitsWhenSpanIsOneOverMaxBits) {
  const auto d = device({point(kDi, 0), point(kDi, 16)}, 20, 125, 16);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kDi, 0, 1, {0}}, {kDi, 16, 1, {1}}}));
}

TEST(ReadPlan, LimitsBitTablesByMaxBitsNotMaxRegisters) {
  // 200 coils in one request although max_registers_per_read is 10.
  const auto d = device({point(kCoil, 0), point(kCoil, 199)}, 200, 10, 200);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kCoil, 0, 200, {0, 1}}}));
}

TEST(ReadPlan, NeverMergesAcrossTablesAndOrdersByTableThenAddress) {
  const auto d = device({point(kIr, 1), point(kHr, 1), point(kIr, 0), point(kDi, 1),
                         point(kCoil, 5), point(kHr, 0), point(kCoil, 0)});
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kCoil, 0, 6, {6, 4}},
                                               {kDi, 1, 1, {3}},
                                               {kHr, 0, 2, {5, 1}},
                                               {kIr, 0, 2, {2, 0}}}));
}

TEST(ReadPlan, ListsPointsInAddressOrderWhateverTheInputOrder) {
  const auto d = device({point(kHr, 30), point(kHr, 10), point(kHr, 20)}, 10);
  EXPECT_EQ(plan_reads(d, Indices{0, 2, 1}),
            (std::vector<ReadRequest>{{kHr, 10, 21, {1, 2, 0}}}));
}

TEST(ReadPlan, CoversOnlyTheRequestedPoints) {
  // Point 1 is due later: 0 and 2 are 20 apart and not merged through it.
  const auto d = device({point(kHr, 0), point(kHr, 10), point(kHr, 20)}, 10);
  EXPECT_EQ(plan_reads(d, Indices{2, 0}),
            (std::vector<ReadRequest>{{kHr, 0, 1, {0}}, {kHr, 20, 1, {2}}}));
}

TEST(ReadPlan, PutsBitPointsOfOneRegisterInOneRequest) {
  const auto d = device({bit(5, 15), bit(5, 0), point(kHr, 6), bit(5, 7)}, 0);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 5, 2, {0, 1, 3, 2}}}));
}

TEST(ReadPlan, SharesRegisterForBitPointsEvenAtMaxOneRegister) {
  const auto d = device({bit(5, 0), bit(5, 1), point(kHr, 6)}, 0, 1);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 5, 1, {0, 1}}, {kHr, 6, 1, {2}}}));
}

TEST(ReadPlan, SharesRegisterWhenBitPointLiesInsideAWiderPoint) {
  const auto d = device({point(kHr, 4, DataType::Uint32), bit(5, 3)}, 0, 2);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 4, 2, {0, 1}}}));
}

TEST(ReadPlan, CountsStringLengthInRegisters) {
  const auto d = device({point(kHr, 0, DataType::String, 8), point(kHr, 8)}, 0, 9);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 0, 9, {0, 1}}}));
  const auto over = device({point(kHr, 0, DataType::String, 8), point(kHr, 9)}, 1, 9);
  EXPECT_EQ(plan(over), (std::vector<ReadRequest>{{kHr, 0, 8, {0}}, {kHr, 9, 1, {1}}}));
}

TEST(ReadPlan, HandlesPointsThatEndAtTheLastAddress) {
  const auto d = device({point(kHr, 65532, DataType::Uint16), point(kHr, 65534, DataType::Int32)});
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 65532, 4, {0, 1}}}));
}

TEST(ReadPlan, StartsNewRequestGreedilyAndContinuesMergingAfterIt) {
  // max 4: [0..3] full, then 4 and 6 merge again.
  const auto d = device({point(kHr, 0), point(kHr, 3), point(kHr, 4), point(kHr, 6)}, 2, 4);
  EXPECT_EQ(plan(d), (std::vector<ReadRequest>{{kHr, 0, 4, {0, 1}}, {kHr, 4, 3, {2, 3}}}));
}

TEST(ReadPlanSplit, CutsAtTheLargestGapAndTrimsBothHalves) {
  const auto d = device({point(kHr, 0), point(kHr, 2), point(kHr, 10), point(kHr, 11)});
  const auto p = plan(d);
  ASSERT_EQ(p, (std::vector<ReadRequest>{{kHr, 0, 12, {0, 1, 2, 3}}}));
  const auto s = split(d, p[0]);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first, (ReadRequest{kHr, 0, 3, {0, 1}}));
  EXPECT_EQ(s->second, (ReadRequest{kHr, 10, 2, {2, 3}}));
}

TEST(ReadPlanSplit, PrefersLargestGapEvenWhenItIsOffCentre) {
  const auto d = device({point(kHr, 0), point(kHr, 4), point(kHr, 8), point(kHr, 13)});
  const ReadRequest r{kHr, 0, 14, {0, 1, 2, 3}};
  const auto s = split(d, r);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first, (ReadRequest{kHr, 0, 9, {0, 1, 2}}));
  EXPECT_EQ(s->second, (ReadRequest{kHr, 13, 1, {3}}));
}

TEST(ReadPlanSplit, BreaksTiesAtTheGapNearestTheMiddle) {
  // Gaps of 1 at 1, 3 and 5; the request 0..6 has its middle at 3.5.
  const auto d = device({point(kHr, 0), point(kHr, 2), point(kHr, 4), point(kHr, 6)});
  const auto s = split(d, ReadRequest{kHr, 0, 7, {0, 1, 2, 3}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first, (ReadRequest{kHr, 0, 3, {0, 1}}));
  EXPECT_EQ(s->second, (ReadRequest{kHr, 4, 3, {2, 3}}));
}

TEST(ReadPlanSplit, MeasuresTheMiddleInRegistersNotPoints) {
  // Contiguous: a float64 then three uint16. By registers (0..7, middle 3.5) the cut nearest
  // the middle is at 4, after the float64, not after the second point.
  const auto d = device({point(kHr, 0, DataType::Float64), point(kHr, 4), point(kHr, 5),
                         point(kHr, 6)});
  const auto s = split(d, ReadRequest{kHr, 0, 7, {0, 1, 2, 3}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first, (ReadRequest{kHr, 0, 4, {0}}));
  EXPECT_EQ(s->second, (ReadRequest{kHr, 4, 3, {1, 2, 3}}));
}

TEST(ReadPlanSplit, TakesTheLowerCutWhenTwoAreEquallyNearTheMiddle) {
  const auto d = device({point(kHr, 0), point(kHr, 1), point(kHr, 2)});
  const auto s = split(d, ReadRequest{kHr, 0, 3, {0, 1, 2}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first, (ReadRequest{kHr, 0, 1, {0}}));
  EXPECT_EQ(s->second, (ReadRequest{kHr, 1, 2, {1, 2}}));
}

TEST(ReadPlanSplit, SplitsBitRequests) {
  const auto d = device({point(kCoil, 0), point(kCoil, 1), point(kCoil, 5)});
  const auto p = plan(d);
  ASSERT_EQ(p, (std::vector<ReadRequest>{{kCoil, 0, 6, {0, 1, 2}}}));
  const auto s = split(d, p[0]);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first, (ReadRequest{kCoil, 0, 2, {0, 1}}));
  EXPECT_EQ(s->second, (ReadRequest{kCoil, 5, 1, {2}}));
}

TEST(ReadPlanSplit, KeepsBitPointsOfOneRegisterTogether) {
  const auto d = device({bit(5, 0), bit(5, 1), point(kHr, 6)});
  const auto s = split(d, ReadRequest{kHr, 5, 2, {0, 1, 2}});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first, (ReadRequest{kHr, 5, 1, {0, 1}}));
  EXPECT_EQ(s->second, (ReadRequest{kHr, 6, 1, {2}}));
}

TEST(ReadPlanSplit, ReturnsNulloptWhenRequestHasOnePoint) {
  const auto d = device({point(kHr, 7, DataType::Float64)});
  EXPECT_FALSE(split(d, ReadRequest{kHr, 7, 4, {0}}));
  EXPECT_FALSE(split(d, ReadRequest{kHr, 7, 4, {}}));
}

TEST(ReadPlanSplit, ReturnsNulloptWhenAllPointsShareTheSameRegister) {
  const auto d = device({bit(3, 0), bit(3, 8), bit(3, 15)});
  EXPECT_FALSE(split(d, ReadRequest{kHr, 3, 1, {0, 1, 2}}));
}

TEST(ReadPlanSplit, ReachesSinglePointsWhenAppliedRepeatedly) {
  const auto d = device({point(kHr, 0), point(kHr, 3), point(kHr, 4, DataType::Uint32),
                         point(kHr, 9)});
  std::vector<ReadRequest> pending = plan(d);
  ASSERT_EQ(pending.size(), 1U);
  std::vector<ReadRequest> singles;
  while (!pending.empty()) {
    const ReadRequest r = pending.back();
    pending.pop_back();
    if (auto s = split(d, r)) {
      pending.push_back(s->first);
      pending.push_back(s->second);
    } else {
      singles.push_back(r);
    }
  }
  EXPECT_EQ(singles, (std::vector<ReadRequest>{
                         {kHr, 9, 1, {3}}, {kHr, 4, 2, {2}}, {kHr, 3, 1, {1}}, {kHr, 0, 1, {0}}}));
}

}  // namespace
}  // namespace gw::adapters::modbus
