#include "adapters/modbus/poll_schedule.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace gw::adapters::modbus {
namespace {

using namespace std::chrono_literals;
using TP = PollSchedule::TimePoint;

const TP t0{std::chrono::seconds(1000)};

PointOptions reg(std::string name, std::uint16_t address,
                 std::optional<std::chrono::milliseconds> interval = std::nullopt) {
  PointOptions p;
  p.name = std::move(name);
  p.table = Table::HoldingRegister;
  p.address = address;
  p.type = DataType::Uint16;
  p.poll_interval = interval;
  return p;
}

LinkOptions two_devices() {
  LinkOptions link;
  link.name = "bus";
  DeviceOptions a;
  a.name = "a";
  a.unit_id = 1;
  a.poll_interval = 1s;
  a.backoff_initial = 2s;
  a.backoff_max = 8s;
  a.points = {reg("x", 0), reg("y", 1), reg("fast", 50, 100ms)};
  DeviceOptions b;
  b.name = "b";
  b.unit_id = 2;
  b.poll_interval = 500ms;
  b.points = {reg("z", 0)};
  link.devices = {a, b};
  return link;
}

TEST(PollSchedule, GroupsPointsByIntervalIntoOneJobEach) {
  const LinkOptions link = two_devices();
  PollSchedule s(link, t0);
  ASSERT_EQ(s.jobs().size(), 3U);
  // Device a: the 100 ms group and the 1 s group; device b: one job.
  EXPECT_EQ(s.jobs()[0].device, 0U);
  EXPECT_EQ(s.jobs()[0].interval, 100ms);
  EXPECT_EQ(s.jobs()[0].requests.size(), 1U);
  EXPECT_EQ(s.jobs()[1].interval, 1s);
  ASSERT_EQ(s.jobs()[1].requests.size(), 1U);
  EXPECT_EQ(s.jobs()[1].requests[0].count, 2);
  EXPECT_EQ(s.jobs()[2].device, 1U);
}

TEST(PollSchedule, RunsEarliestDeadlineFirstAndKeepsPhase) {
  const LinkOptions link = two_devices();
  PollSchedule s(link, t0);
  EXPECT_EQ(s.next(), 0U);  // all due at t0: the first configured
  s.completed(0, true, t0 + 10ms);
  EXPECT_EQ(s.job(0).due, t0 + 100ms);  // phase kept: due + interval, not now + interval
  EXPECT_EQ(s.next(), 1U);
  s.completed(1, true, t0 + 20ms);
  EXPECT_EQ(s.next(), 2U);
  s.completed(2, true, t0 + 30ms);
  EXPECT_EQ(s.next(), 0U);
  EXPECT_EQ(s.late_polls(), 0U);
}

TEST(PollSchedule, RunsTheLatestMissedCycleAtOnceAndSkipsTheOlderOnes) {
  const LinkOptions link = two_devices();
  PollSchedule s(link, t0);
  s.completed(1, true, t0);
  s.completed(2, true, t0);
  // The 100 ms job's run ended at 350 ms: the cycles due at 100 and 200 ms passed entirely and
  // are skipped; the one due at 300 ms runs now, late. All three count as late polls.
  s.completed(0, true, t0 + 350ms);
  EXPECT_EQ(s.job(0).due, t0 + 300ms);
  EXPECT_EQ(s.next(), 0U);
  EXPECT_EQ(s.late_polls(), 3U);
  // No catch-up burst: after the late run the job is back on its phase, due at 400 ms.
  s.completed(0, true, t0 + 360ms);
  EXPECT_EQ(s.job(0).due, t0 + 400ms);
  EXPECT_EQ(s.late_polls(), 3U);
}

TEST(PollSchedule, FinishingExactlyAtTheNextDueTimeIsOnTime) {
  const LinkOptions link = two_devices();
  PollSchedule s(link, t0);
  s.completed(0, true, t0 + 100ms);
  EXPECT_EQ(s.job(0).due, t0 + 100ms);
  EXPECT_EQ(s.late_polls(), 0U);
}

TEST(PollSchedule, AJobSlightlySlowerThanItsIntervalRunsBackToBackWithoutIdling) {
  LinkOptions link;
  DeviceOptions d;
  d.name = "d";
  d.poll_interval = 1ms;  // the smallest interval the configuration allows
  d.points = {reg("x", 0)};
  link.devices = {d};
  PollSchedule s(link, t0);
  // Each run takes 1.05 intervals. Keeping the phase by skipping the overrun slot would poll
  // every other slot (one run per 2 ms); running the late cycle at once polls back to back.
  TP now = t0;
  for (int run = 0; run < 100; ++run) {
    const std::size_t i = s.next();
    ASSERT_LE(s.job(i).due, now) << "run " << run << ": the link would idle";
    now += 1050us;
    s.completed(i, true, now);
  }
  EXPECT_EQ(now - t0, 105ms);  // 100 runs, no idle time
  // Its due time stays on the 1 ms grid and at most one interval behind.
  EXPECT_EQ((s.job(0).due - t0) % 1ms, 0ms);
  EXPECT_GT(s.job(0).due, now - 1ms);
  // 105 slots passed: 100 ran and 5 were skipped. Every 20th run starts exactly on its slot
  // (the lag has grown to one whole interval, which was skipped), the other 95 started late.
  EXPECT_EQ(s.late_polls(), 95U + 5U);
}

TEST(PollSchedule, ALateJobDoesNotOvertakeAnOlderDeadlineOfAnotherDevice) {
  const LinkOptions link = two_devices();
  PollSchedule s(link, t0);
  s.completed(1, true, t0);
  s.completed(2, true, t0 + 10ms);    // device b: due at 500 ms
  s.completed(0, true, t0 + 650ms);   // device a's 100 ms job overran: due at 600 ms, late
  EXPECT_EQ(s.job(0).due, t0 + 600ms);
  EXPECT_EQ(s.next(), 2U);  // b's deadline is older: earliest deadline first still holds
  s.completed(2, true, t0 + 660ms);
  EXPECT_EQ(s.next(), 0U);
}

TEST(PollSchedule, FailingDeviceIsBackedOffAsAWholeAndRecovers) {
  const LinkOptions link = two_devices();
  PollSchedule s(link, t0);
  s.completed(1, false, t0);
  // Both jobs of device a wait for the backoff; device b is untouched.
  EXPECT_EQ(s.job(0).due, t0 + 2s);
  EXPECT_EQ(s.job(1).due, t0 + 2s);
  EXPECT_EQ(s.job(2).due, t0);
  EXPECT_EQ(s.device_failures(0), 1U);
  s.completed(0, false, t0 + 2s);
  EXPECT_EQ(s.job(0).due, t0 + 6s);  // doubled
  s.completed(0, false, t0 + 6s);
  s.completed(0, false, t0 + 14s);
  EXPECT_EQ(s.job(0).due, t0 + 22s);  // capped at 8 s
  s.completed(0, true, t0 + 22s);
  EXPECT_EQ(s.device_failures(0), 0U);
  EXPECT_EQ(s.job(0).due, t0 + 22s + 100ms);
}

TEST(PollSchedule, InstrumentsOfAMixedBusAreDevicesOfTheSameScheduleWithTheirOwnBackoff) {
  LinkOptions link = two_devices();
  BusInstrumentOptions scale;
  scale.instrument.name = "scale";
  scale.instrument.requests = {serial::RequestOptions{.send = "W\r", .interval = 300ms},
                               serial::RequestOptions{.send = "T\r", .interval = 2s}};
  scale.backoff_initial = 1s;
  scale.backoff_max = 4s;
  link.instruments = {scale};
  PollSchedule s(link, t0);
  // Device a: 2 jobs, b: 1, then one job per request of the instrument, device number 2.
  ASSERT_EQ(s.jobs().size(), 5U);
  EXPECT_FALSE(s.is_instrument(2));
  ASSERT_TRUE(s.is_instrument(3));
  EXPECT_EQ(s.job(3).device, 2U);
  EXPECT_EQ(s.job(3).instrument_request, 0U);
  EXPECT_EQ(s.job(4).instrument_request, 1U);
  EXPECT_EQ(s.job(3).interval, 300ms);
  EXPECT_TRUE(s.job(3).requests.empty());

  // One earliest-deadline order across protocols: the Modbus jobs (configured first) win ties.
  s.completed(0, true, t0);
  s.completed(1, true, t0);
  s.completed(2, true, t0);
  EXPECT_EQ(s.next(), 3U);
  s.completed(3, true, t0);
  EXPECT_EQ(s.job(3).due, t0 + 300ms);

  // A silent instrument backs off as a whole (both its requests); the slaves are untouched.
  s.completed(4, false, t0);
  EXPECT_EQ(s.job(3).due, t0 + 1s);
  EXPECT_EQ(s.job(4).due, t0 + 1s);
  EXPECT_EQ(s.device_failures(2), 1U);
  EXPECT_EQ(s.job(2).due, t0 + 500ms);
  s.completed(3, false, t0 + 1s);
  EXPECT_EQ(s.job(3).due, t0 + 3s);  // doubled
  s.completed(3, true, t0 + 3s);
  EXPECT_EQ(s.device_failures(2), 0U);
}

// --- interval 0: as fast as possible -------------------------------------------------------------

DeviceOptions device(std::string name, std::uint8_t unit, std::chrono::milliseconds interval) {
  DeviceOptions d;
  d.name = std::move(name);
  d.unit_id = unit;
  d.poll_interval = interval;
  d.backoff_initial = 50ms;
  d.backoff_max = 200ms;
  d.points = {reg("x", 0)};
  return d;
}

// Drives the schedule as Link::run does: wait until the next job is due, run it for `run_time`
// (of that job's device), complete it. `ok(device, start)` says whether the device answered.
struct Driver {
  PollSchedule& s;
  TP now;
  std::vector<std::size_t> order;             // the jobs in the order they ran
  std::vector<std::chrono::nanoseconds> lag;  // per run: start - due
  std::vector<TP> starts;                     // per run

  void run(std::size_t runs, const std::vector<std::chrono::microseconds>& run_time,
           const std::function<bool(std::size_t, TP)>& ok = {}) {
    for (std::size_t k = 0; k < runs; ++k) {
      const std::size_t i = s.next();
      if (s.job(i).due > now) now = s.job(i).due;  // the link idles until then
      order.push_back(i);
      lag.push_back(now - s.job(i).due);
      starts.push_back(now);
      const std::size_t d = s.job(i).device;
      const bool answered = !ok || ok(d, now);
      now += run_time[d];
      s.completed(i, answered, now);
    }
  }
};

TEST(PollSchedule, AnIntervalZeroJobIsDueAgainWhenItCompletesAndNeverLate) {
  LinkOptions link;
  link.devices = {device("fast", 1, kAsFastAsPossible)};
  PollSchedule s(link, t0);
  Driver drv{s, t0, {}, {}, {}};
  drv.run(1000, {37us});
  EXPECT_EQ(s.job(0).due, drv.now);
  EXPECT_EQ(drv.now - t0, 37ms);  // 1000 runs back to back, no idle time
  EXPECT_EQ(s.late_polls(), 0U);
}

TEST(PollSchedule, IntervalZeroJobsTakeTurns) {
  LinkOptions link;
  link.devices = {device("a", 1, kAsFastAsPossible), device("b", 2, kAsFastAsPossible),
                  device("c", 3, kAsFastAsPossible)};
  PollSchedule s(link, t0);
  Driver drv{s, t0, {}, {}, {}};
  // Different run times: a slow device must not get more (or fewer) turns than a quick one.
  drv.run(300, {30us, 90us, 400us});
  for (std::size_t k = 0; k < drv.order.size(); ++k) {
    ASSERT_EQ(drv.order[k], k % 3) << "run " << k;  // a, b, c, a, b, c, ...
  }
  EXPECT_EQ(s.late_polls(), 0U);
}

TEST(PollSchedule, IntervalZeroJobsTakeTurnsEvenWhenTheyCompleteAtTheSameInstant) {
  // A coarse clock (or a fake one) can stamp two completions alike; the turns still rotate.
  LinkOptions link;
  link.devices = {device("a", 1, kAsFastAsPossible), device("b", 2, kAsFastAsPossible)};
  PollSchedule s(link, t0);
  Driver drv{s, t0, {}, {}, {}};
  drv.run(10, {0us, 0us});
  EXPECT_EQ(drv.order, (std::vector<std::size_t>{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}));
}

TEST(PollSchedule, AnIntervalZeroDeviceDoesNotDelayA10msDeviceByMoreThanOneRun) {
  LinkOptions link;
  // The interval-0 device is configured first, so it would win every tie on configuration order.
  link.devices = {device("fast", 1, kAsFastAsPossible), device("slow", 2, 10ms)};
  PollSchedule s(link, t0);
  Driver drv{s, t0, {}, {}, {}};
  // 250 us per run: the fast device's completions fall exactly on the 10 ms grid, a tie every
  // time, which the 10 ms device must win.
  drv.run(4200, {250us, 250us});
  std::size_t slow_runs = 0;
  for (std::size_t k = 0; k < drv.order.size(); ++k) {
    if (drv.order[k] != 1) continue;
    ++slow_runs;
    EXPECT_EQ(drv.lag[k], 0us) << "run " << k;
  }
  // 1.05 s of polling: the 10 ms device ran on every one of its 105 cycles.
  EXPECT_EQ(drv.now - t0, 1050ms);
  EXPECT_EQ(slow_runs, 105U);
  EXPECT_EQ(s.late_polls(), 0U);
  EXPECT_GT(drv.order.size() - slow_runs, 4000U);  // and the fast device took all the rest
}

TEST(PollSchedule, AnIntervalZeroDeviceStartsA10msJobWithinOneOfItsRuns) {
  // Fast runs of 310 us do not fit the 10 ms grid: the 10 ms job waits for the run in progress,
  // never for a second one.
  LinkOptions link;
  link.devices = {device("fast", 1, kAsFastAsPossible), device("slow", 2, 10ms)};
  PollSchedule s(link, t0);
  Driver drv{s, t0, {}, {}, {}};
  drv.run(3000, {310us, 100us});
  std::size_t slow_runs = 0;
  std::chrono::nanoseconds worst{0};
  for (std::size_t k = 0; k < drv.order.size(); ++k) {
    if (drv.order[k] != 1) continue;
    ++slow_runs;
    worst = std::max(worst, drv.lag[k]);
  }
  EXPECT_LT(worst, 310us);
  EXPECT_GT(worst, 0us);  // it did wait for runs in progress
  // It ran on every cycle that began while the schedule ran.
  const auto cycles = static_cast<std::size_t>((drv.now - t0) / 10ms);
  EXPECT_GE(slow_runs, cycles);
  EXPECT_LE(slow_runs, cycles + 1);
  EXPECT_EQ(s.late_polls(), 0U);
}

TEST(PollSchedule, AFailingIntervalZeroDeviceIsBackedOffAndTheOtherTakesTheBus) {
  LinkOptions link;
  link.devices = {device("dead", 1, kAsFastAsPossible), device("live", 2, kAsFastAsPossible)};
  PollSchedule s(link, t0);
  Driver drv{s, t0, {}, {}, {}};
  // The dead device times out (20 ms each time) until 1 s; from then on it answers again.
  const TP revived = t0 + 1s;
  std::vector<TP> dead_starts;
  drv.run(30000, {20000us, 40us}, [&](std::size_t d, TP start) {
    if (d == 0) dead_starts.push_back(start);
    return d != 0 || start >= revived;
  });
  ASSERT_GT(drv.now, revived + 100ms);
  // Backoff 50, 100, 200 (the cap), 200 ms after each 20 ms timeout: attempts at 0, 70, 190,
  // 410, 630 and 850 ms, not one per turn.
  const std::vector<TP> expected{t0,         t0 + 70ms,  t0 + 190ms,
                                 t0 + 410ms, t0 + 630ms, t0 + 850ms};
  ASSERT_GT(dead_starts.size(), expected.size());
  EXPECT_EQ(std::vector<TP>(dead_starts.begin(), dead_starts.begin() + 6), expected);
  EXPECT_EQ(dead_starts[6], t0 + 1070ms);  // the first attempt after it came back: it answered
  EXPECT_EQ(s.device_failures(0), 0U);
  // Meanwhile the live device had the bus: 1 s minus 6 timeouts of 20 ms, 40 us per run.
  std::size_t live_before_revival = 0;
  for (std::size_t k = 0; k < drv.order.size(); ++k) {
    if (drv.order[k] == 1 && drv.starts[k] < revived) ++live_before_revival;
  }
  EXPECT_EQ(live_before_revival, (1000ms - 6 * 20ms) / 40us);
  // Back in service, the two take turns again.
  const std::size_t n = drv.order.size();
  for (std::size_t k = n - 10; k < n; ++k) EXPECT_NE(drv.order[k], drv.order[k - 1]);
  EXPECT_EQ(s.late_polls(), 0U);
}

TEST(PollSchedule, SplitReplacesAMergedRequestByItsHalves) {
  const LinkOptions link = two_devices();
  PollSchedule s(link, t0);
  ASSERT_TRUE(s.split_request(1, 0));
  ASSERT_EQ(s.job(1).requests.size(), 2U);
  EXPECT_EQ(s.job(1).requests[0].address, 0);
  EXPECT_EQ(s.job(1).requests[0].count, 1);
  EXPECT_EQ(s.job(1).requests[1].address, 1);
  EXPECT_FALSE(s.split_request(1, 0));  // one point: nothing left to split
}

TEST(PollSchedule, HoldUntilPostponesEveryJob) {
  const LinkOptions link = two_devices();
  PollSchedule s(link, t0);
  s.hold_until(t0 + 5s);
  for (const auto& j : s.jobs()) EXPECT_EQ(j.due, t0 + 5s);
}

}  // namespace
}  // namespace gw::adapters::modbus
