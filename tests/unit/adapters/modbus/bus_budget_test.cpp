#include "adapters/modbus/bus_budget.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace gw::adapters::modbus {
namespace {

using namespace std::chrono_literals;

PointOptions reg(std::string name, std::uint16_t address) {
  PointOptions p;
  p.name = std::move(name);
  p.table = Table::HoldingRegister;
  p.address = address;
  p.type = DataType::Uint16;
  return p;
}

// An RTU bus at 9600 baud 8N1 with one device polled every 100 ms.
LinkOptions rtu_bus() {
  LinkOptions link;
  link.name = "bus";
  link.kind = LinkKind::Rtu;
  link.serial.baud = 9600;
  DeviceOptions d;
  d.name = "meter";
  d.unit_id = 1;
  d.poll_interval = 100ms;
  d.points = {reg("a", 0)};
  link.devices = {d};
  return link;
}

TEST(BusBudget, AnIntervalZeroDeviceTakesTheRestAndIsNotCounted) {
  LinkOptions link = rtu_bus();
  const double alone = bus_utilisation(link);
  ASSERT_GT(alone, 0.0);
  EXPECT_FALSE(has_fast_jobs(link));

  DeviceOptions fast = link.devices[0];
  fast.name = "fast";
  fast.unit_id = 2;
  fast.poll_interval = kAsFastAsPossible;
  link.devices.push_back(fast);
  // No division by zero, no infinite load: the device at 0 uses what the others leave.
  const double with_fast = bus_utilisation(link);
  EXPECT_TRUE(std::isfinite(with_fast));
  EXPECT_DOUBLE_EQ(with_fast, alone);
  EXPECT_TRUE(has_fast_jobs(link));
}

TEST(BusBudget, APointAtIntervalZeroCountsAsFastEvenWhenItsDeviceIsNot) {
  LinkOptions link = rtu_bus();
  link.devices[0].points.push_back(reg("b", 40));
  link.devices[0].points.back().poll_interval = kAsFastAsPossible;
  EXPECT_TRUE(has_fast_jobs(link));
  // And a device at 0 whose every point overrides it polls nothing as fast as possible.
  LinkOptions other = rtu_bus();
  other.devices[0].poll_interval = kAsFastAsPossible;
  other.devices[0].points[0].poll_interval = 1s;
  EXPECT_FALSE(has_fast_jobs(other));
}

}  // namespace
}  // namespace gw::adapters::modbus
