// adapters::modbus::PollSchedule: what a link polls next. Each device's points are grouped by
// their poll interval; each group is one job of coalesced read requests (read_plan.hpp). The job
// with the earliest due time runs next (earliest-deadline-first). A device that fails is backed
// off (exponential, capped) as a whole, so a dead slave costs one timeout per backoff period and
// cannot starve the other devices on the bus. Pure: the caller passes the time in.
//
// An interval of 0 polls as fast as possible: the job is due again the moment it completes
// (kAsFastAsPossible). It has no phase and is never late. Earliest-deadline order still holds:
// every job that fell due while it ran has an older deadline and goes first, so several such
// jobs take turns and a job with an interval waits at most for the run in progress.
//
// On a mixed bus the serial instruments (LinkOptions::instruments) are devices of the same
// schedule: device numbers go on after the Modbus devices, each request of an instrument is one
// job, and an instrument that fails is backed off like a slave.
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
    // Index into LinkOptions::devices; from devices.size() on, into LinkOptions::instruments
    // (device - devices.size()).
    std::size_t device = 0;
    std::chrono::milliseconds interval{0};  // 0: as fast as possible
    std::vector<ReadRequest> requests;  // a Modbus device's
    TimePoint due{};
    std::size_t instrument_request = 0;  // an instrument's: index into its requests
    // The requests are not plan_reads()'s: the device refused a merged read and the job uses the
    // split (learned now, or earlier and loaded: learned_splits.hpp).
    bool learned = false;
    // Interval-0 jobs only: when the job last completed (a count of completions), so that such
    // jobs due at the same instant take turns.
    std::uint64_t completed_seq = 0;
  };

  // All jobs are due at `start`. Borrows `link`, which must outlive the schedule.
  PollSchedule(const LinkOptions& link, TimePoint start);

  // The index of the job to run next: the earliest due. Ties: a job with an interval before an
  // interval-0 job, interval-0 jobs in the order they last completed, else the first configured.
  [[nodiscard]] std::size_t next() const;
  [[nodiscard]] const Job& job(std::size_t i) const { return jobs_[i]; }
  [[nodiscard]] const std::vector<Job>& jobs() const { return jobs_; }

  // Job `i` ran and its device answered (`ok`) or failed. On success the job keeps its phase: it
  // is due one interval after its previous due time. When that time has already passed (the run
  // overran it), the job stays due on the latest cycle of its phase that began before `now` and
  // so runs again as soon as the link is free; cycles before that one are skipped (no catch-up
  // burst). Every cycle that did not start on time, run late or skipped, counts as a late poll.
  // A job with interval 0 is due again at `now` and never counts as late.
  // On failure every job of the device is postponed by the device's next backoff.
  void completed(std::size_t i, bool ok, TimePoint now);

  // Replaces request `r` of job `i` by its two halves (the device refused the merged read with
  // "illegal data address"). False when it cannot be split.
  bool split_request(std::size_t i, std::size_t r);

  // Replaces the requests of job `i` by a plan learned earlier (learned_splits.hpp checked that
  // it covers the job's points).
  void set_learned_requests(std::size_t i, std::vector<ReadRequest> requests);

  // Postpones every job to at least `t` (e.g. while the link reconnects).
  void hold_until(TimePoint t);

  // True when job `i` belongs to a serial instrument.
  [[nodiscard]] bool is_instrument(std::size_t i) const {
    return jobs_[i].device >= link_.devices.size();
  }

  [[nodiscard]] std::uint64_t late_polls() const { return late_polls_; }
  [[nodiscard]] std::uint32_t device_failures(std::size_t device) const {
    return backoff_[device].failures();
  }

 private:
  const LinkOptions& link_;
  std::vector<Job> jobs_;
  std::vector<Backoff> backoff_;  // per device
  std::uint64_t late_polls_ = 0;
  std::uint64_t completions_ = 0;  // interval-0 jobs' completions, for Job::completed_seq
};

}  // namespace gw::adapters::modbus
