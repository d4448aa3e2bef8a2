// adapters::modbus::PollSchedule: what a link polls next. Each device's points are grouped by
// their poll interval; each group is one job of coalesced read requests (read_plan.hpp). The job
// with the earliest due time runs next (earliest-deadline-first). A device that fails is backed
// off (exponential, capped) as a whole, so a dead slave costs one timeout per backoff period and
// cannot starve the other devices on the bus. Pure: the caller passes the time in.
//
// Thread safety: none; owned by one link thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "adapters/backoff.hpp"
#include "adapters/modbus/options.hpp"
#include "adapters/modbus/read_plan.hpp"

namespace gw::adapters::modbus {

class PollSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Job {
    std::size_t device = 0;  // index into LinkOptions::devices
    std::chrono::milliseconds interval{0};
    std::vector<ReadRequest> requests;
    TimePoint due{};
  };

  // All jobs are due at `start`. Borrows `link`, which must outlive the schedule.
  PollSchedule(const LinkOptions& link, TimePoint start);

  // The index of the job to run next (earliest due; ties: the first configured).
  [[nodiscard]] std::size_t next() const;
  [[nodiscard]] const Job& job(std::size_t i) const { return jobs_[i]; }
  [[nodiscard]] const std::vector<Job>& jobs() const { return jobs_; }

  // Job `i` ran and its device answered (`ok`) or failed. On success the job keeps its phase: it
  // is due one interval after its previous due time; missed cycles are skipped and counted as
  // late polls. On failure every job of the device is postponed by the device's next backoff.
  void completed(std::size_t i, bool ok, TimePoint now);

  // Replaces request `r` of job `i` by its two halves (the device refused the merged read with
  // "illegal data address"). False when it cannot be split.
  bool split_request(std::size_t i, std::size_t r);

  // Postpones every job to at least `t` (e.g. while the link reconnects).
  void hold_until(TimePoint t);

  [[nodiscard]] std::uint64_t late_polls() const { return late_polls_; }
  [[nodiscard]] std::uint32_t device_failures(std::size_t device) const {
    return backoff_[device].failures();
  }

 private:
  const LinkOptions& link_;
  std::vector<Job> jobs_;
  std::vector<Backoff> backoff_;  // per device
  std::uint64_t late_polls_ = 0;
};

}  // namespace gw::adapters::modbus
