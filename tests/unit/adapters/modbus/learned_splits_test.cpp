#include "adapters/modbus/learned_splits.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace gw::adapters::modbus {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

PointOptions reg(std::string name, std::uint16_t address, DataType type = DataType::Uint16) {
  PointOptions p;
  p.name = std::move(name);
  p.table = Table::HoldingRegister;
  p.address = address;
  p.type = type;
  return p;
}

// Points at 0, 1, 5 and 6..7 merge into one read of 0..7.
LinkOptions link_of(std::string device = "meter") {
  LinkOptions link;
  link.name = "plc";
  DeviceOptions d;
  d.name = std::move(device);
  d.unit_id = 3;
  d.poll_interval = 200ms;
  d.points = {reg("a", 0), reg("b", 1), reg("c", 5), reg("d", 6, DataType::Uint32)};
  link.devices = {d};
  return link;
}

const PollSchedule::TimePoint t0{};

TEST(LearnedSplits, PathEncodesTheLinkName) {
  EXPECT_EQ(learned_splits_path("/var/lib/gw", "plc"), "/var/lib/gw/modbus-plc.splits");
  EXPECT_EQ(learned_splits_path("/var/lib/gw/", "line 1/a%"),
            "/var/lib/gw/modbus-line%201%2Fa%25.splits");
}

TEST(LearnedSplits, FingerprintChangesWithWhatThePlanDependsOn) {
  const LinkOptions base = link_of();
  const auto fp = plan_fingerprint(base.devices[0]);
  EXPECT_EQ(fp, plan_fingerprint(link_of().devices[0]));
  auto renamed = base.devices[0];
  renamed.points[0].name = "other";
  renamed.points[0].unit = "kW";
  EXPECT_EQ(fp, plan_fingerprint(renamed)) << "names and units do not change the plan";
  auto moved = base.devices[0];
  moved.points[2].address = 4;
  EXPECT_NE(fp, plan_fingerprint(moved));
  auto longer = base.devices[0];
  longer.points[3].type = DataType::Uint64;
  EXPECT_NE(fp, plan_fingerprint(longer));
  auto gap = base.devices[0];
  gap.max_gap = 2;
  EXPECT_NE(fp, plan_fingerprint(gap));
  auto unit = base.devices[0];
  unit.unit_id = 4;
  EXPECT_NE(fp, plan_fingerprint(unit));
  auto faster = base.devices[0];
  faster.points[1].poll_interval = 100ms;
  EXPECT_NE(fp, plan_fingerprint(faster));
}

TEST(LearnedSplits, SavesAndLoadsASplitAndTheScheduleStartsWithIt) {
  TempDir dir;
  const std::string path = (dir.path() / "modbus-plc.splits").string();
  // A device name with a space and a percent sign survives the file.
  const LinkOptions link = link_of("meter 2%");
  PollSchedule learned(link, t0);
  ASSERT_EQ(learned.job(0).requests.size(), 1U);
  EXPECT_FALSE(learned.job(0).learned);
  ASSERT_TRUE(learned.split_request(0, 0));
  EXPECT_TRUE(learned.job(0).learned);
  const auto requests = learned_requests(link, learned);
  ASSERT_EQ(requests.size(), 2U);
  ASSERT_TRUE(save_learned_splits(path, requests));
  // Only the file itself is left: its temporary file was renamed onto it.
  const auto entries = std::distance(std::filesystem::directory_iterator(dir.path()),
                                     std::filesystem::directory_iterator());
  EXPECT_EQ(entries, 1);
  EXPECT_TRUE(std::filesystem::exists(path));

  const LoadedSplits loaded = load_learned_splits(path);
  EXPECT_TRUE(loaded.found);
  EXPECT_EQ(loaded.error, "");
  EXPECT_EQ(loaded.requests, requests);

  PollSchedule fresh(link, t0);
  const AdoptOutcome outcome = adopt_learned_splits(link, fresh, loaded.requests);
  ASSERT_EQ(outcome.adopted.size(), 1U);
  EXPECT_EQ(outcome.adopted[0], "device 'meter 2%': 2 request(s) every 200 ms");
  EXPECT_TRUE(outcome.discarded.empty());
  EXPECT_TRUE(fresh.job(0).learned);
  EXPECT_EQ(fresh.job(0).requests, learned.job(0).requests);
}

TEST(LearnedSplits, KeepsTheSplitOfADevicePolledAsFastAsPossible) {
  TempDir dir;
  const std::string path = (dir.path() / "modbus-plc.splits").string();
  LinkOptions link = link_of();
  link.devices[0].poll_interval = kAsFastAsPossible;
  PollSchedule learned(link, t0);
  ASSERT_TRUE(learned.split_request(0, 0));
  ASSERT_TRUE(save_learned_splits(path, learned_requests(link, learned)));

  const LoadedSplits loaded = load_learned_splits(path);
  EXPECT_EQ(loaded.error, "");  // interval 0 is written as 0 and read back
  ASSERT_EQ(loaded.requests.size(), 2U);
  EXPECT_EQ(loaded.requests[0].interval, kAsFastAsPossible);
  PollSchedule fresh(link, t0);
  const AdoptOutcome outcome = adopt_learned_splits(link, fresh, loaded.requests);
  ASSERT_EQ(outcome.adopted.size(), 1U);
  EXPECT_EQ(outcome.adopted[0], "device 'meter': 2 request(s) polled as fast as possible");
  EXPECT_EQ(fresh.job(0).requests, learned.job(0).requests);
}

TEST(LearnedSplits, AMissingFileIsNoError) {
  TempDir dir;
  const LoadedSplits loaded = load_learned_splits((dir.path() / "none.splits").string());
  EXPECT_FALSE(loaded.found);
  EXPECT_EQ(loaded.error, "");
  EXPECT_TRUE(loaded.requests.empty());
}

TEST(LearnedSplits, ReportsACorruptFileWithTheLineAndKeepsNothingOfIt) {
  TempDir dir;
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "empty (no 'edge-gateway learned-splits 1' line)"},
      {"\x01\x02garbage", "line 1: not a learned-splits file (expected 'edge-gateway learned-splits 1')"},
      {"edge-gateway learned-splits 2\n", "line 1: not a learned-splits file (expected 'edge-gateway learned-splits 1')"},
      {"edge-gateway learned-splits 1\nmeter 1f 200 holding 0 2\nmeter 1f 200 holding 5\n",
       "line 3: expected 6 fields: device fingerprint interval table address count"},
      {"edge-gateway learned-splits 1\nmeter xyz 200 holding 0 2\n", "line 2: bad fingerprint 'xyz'"},
      {"edge-gateway learned-splits 1\nmeter 1f -5 holding 0 2\n", "line 2: bad interval '-5'"},
      {"edge-gateway learned-splits 1\nmeter 1f 200 eeprom 0 2\n", "line 2: unknown table 'eeprom'"},
      {"edge-gateway learned-splits 1\nmeter 1f 200 holding 70000 2\n", "line 2: bad address '70000'"},
      {"edge-gateway learned-splits 1\nmeter 1f 200 holding 0 0\n", "line 2: bad count '0'"},
      {"edge-gateway learned-splits 1\nmet%2 1f 200 holding 0 2\n",
       "line 2: bad percent-encoding in device name 'met%2'"},
      {"edge-gateway learned-splits 1\nmeter 1f 200 holding 0 2 7\n",
       "line 2: expected 6 fields: device fingerprint interval table address count"},
  };
  for (const auto& c : cases) {
    const std::string path = dir.write("bad.splits", c.text);
    const LoadedSplits loaded = load_learned_splits(path);
    EXPECT_TRUE(loaded.found);
    EXPECT_EQ(loaded.error, c.error) << c.text;
    EXPECT_TRUE(loaded.requests.empty()) << c.text;
  }
}

TEST(LearnedSplits, ReportsAnUnreadableFile) {
  TempDir dir;
  // A directory where the file should be: opening succeeds nowhere.
  std::filesystem::create_directory(dir.path() / "dir.splits");
  const LoadedSplits loaded = load_learned_splits((dir.path() / "dir.splits").string());
  EXPECT_TRUE(loaded.found);
  EXPECT_NE(loaded.error, "");
}

TEST(LearnedSplits, SavingIntoAMissingDirectoryFailsWithItsErrno) {
  TempDir dir;
  const auto r = save_learned_splits((dir.path() / "no" / "x.splits").string(), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
}

TEST(LearnedSplits, DiscardsASplitLearnedForOtherPointsOrAnotherDevice) {
  const LinkOptions link = link_of();
  PollSchedule s(link, t0);
  ASSERT_TRUE(s.split_request(0, 0));
  auto learned = learned_requests(link, s);

  LinkOptions moved = link;
  moved.devices[0].points[2].address = 4;
  PollSchedule fresh(moved, t0);
  AdoptOutcome out = adopt_learned_splits(moved, fresh, learned);
  EXPECT_TRUE(out.adopted.empty());
  ASSERT_EQ(out.discarded.size(), 1U);
  EXPECT_EQ(out.discarded[0],
            "device 'meter': its points or read limits changed since the split was learned");
  EXPECT_FALSE(fresh.job(0).learned);
  EXPECT_EQ(fresh.job(0).requests.size(), 1U);

  const LinkOptions renamed = link_of("other");
  PollSchedule fresh2(renamed, t0);
  out = adopt_learned_splits(renamed, fresh2, learned);
  ASSERT_EQ(out.discarded.size(), 1U);
  EXPECT_EQ(out.discarded[0], "device 'meter': no longer configured on this link");
}

TEST(LearnedSplits, DiscardsRangesThatDoNotCoverThePointsExactly) {
  const LinkOptions link = link_of();
  const auto fp = plan_fingerprint(link.devices[0]);
  const auto range = [&](std::uint16_t address, std::uint16_t count) {
    return LearnedRequest{.device = "meter", .fingerprint = fp, .interval = 200ms,
                          .table = Table::HoldingRegister, .address = address, .count = count};
  };
  const std::vector<std::vector<LearnedRequest>> bad = {
      {range(0, 2)},                                   // c and d left out
      {range(0, 2), range(5, 2)},                      // cuts d (6..7) in two
      {range(0, 2), range(4, 4)},                      // not trimmed to c at 5
      {range(0, 6), range(5, 3)},                      // c in two ranges
      {range(0, 8), range(0, 2)},                      // overlapping
  };
  for (const auto& b : bad) {
    PollSchedule s(link, t0);
    const AdoptOutcome out = adopt_learned_splits(link, s, b);
    EXPECT_TRUE(out.adopted.empty()) << b.size() << " " << b[1 % b.size()].address;
    ASSERT_EQ(out.discarded.size(), 1U);
    EXPECT_EQ(out.discarded[0],
              "device 'meter': the learned plan every 200 ms does not fit its configured points");
    EXPECT_EQ(s.job(0).requests.size(), 1U);
  }
  // Another interval than the device's jobs have.
  PollSchedule s(link, t0);
  auto other = range(0, 8);
  other.interval = 1s;
  EXPECT_EQ(adopt_learned_splits(link, s, {other}).discarded.size(), 1U);
  // The right cover is taken, even in three requests.
  const AdoptOutcome ok = adopt_learned_splits(link, s, {range(0, 2), range(5, 1), range(6, 2)});
  ASSERT_EQ(ok.adopted.size(), 1U);
  ASSERT_EQ(s.job(0).requests.size(), 3U);
  EXPECT_EQ(s.job(0).requests[1].points, std::vector<std::size_t>{2});
}

}  // namespace
}  // namespace gw::adapters::modbus
