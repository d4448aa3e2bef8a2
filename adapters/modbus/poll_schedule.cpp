#include "adapters/modbus/poll_schedule.hpp"

#include <map>

namespace gw::adapters::modbus {

PollSchedule::PollSchedule(const LinkOptions& link, TimePoint start) : link_(link) {
  for (std::size_t d = 0; d < link.devices.size(); ++d) {
    const DeviceOptions& dev = link.devices[d];
    backoff_.emplace_back(dev.backoff_initial, dev.backoff_max);
    std::map<std::chrono::milliseconds, std::vector<std::size_t>> by_interval;
    for (std::size_t p = 0; p < dev.points.size(); ++p) {
      by_interval[dev.points[p].poll_interval.value_or(dev.poll_interval)].push_back(p);
    }
    for (auto& [interval, points] : by_interval) {
      jobs_.push_back(Job{.device = d,
                          .interval = interval,
                          .requests = plan_reads(dev, points),
                          .due = start});
    }
  }
  for (std::size_t k = 0; k < link.instruments.size(); ++k) {
    const BusInstrumentOptions& bi = link.instruments[k];
    backoff_.emplace_back(bi.backoff_initial, bi.backoff_max);
    for (std::size_t r = 0; r < bi.instrument.requests.size(); ++r) {
      jobs_.push_back(Job{.device = link.devices.size() + k,
                          .interval = bi.instrument.requests[r].interval,
                          .requests = {},
                          .due = start,
                          .instrument_request = r});
    }
  }
}

std::size_t PollSchedule::next() const {
  // Job a goes before job b.
  const auto before = [](const Job& a, const Job& b) {
    if (a.due != b.due) return a.due < b.due;
    // An interval-0 job that completes exactly when a job with an interval falls due does not
    // take the bus from it again.
    const bool a_fast = a.interval == kAsFastAsPossible;
    const bool b_fast = b.interval == kAsFastAsPossible;
    if (a_fast != b_fast) return b_fast;
    return a_fast && a.completed_seq < b.completed_seq;
  };
  std::size_t best = 0;
  for (std::size_t i = 1; i < jobs_.size(); ++i) {
    if (before(jobs_[i], jobs_[best])) best = i;
  }
  return best;
}

void PollSchedule::completed(std::size_t i, bool ok, TimePoint now) {
  Job& job = jobs_[i];
  Backoff& backoff = backoff_[job.device];
  if (ok) {
    backoff.reset();
    if (job.interval == kAsFastAsPossible) {
      // Due again at once; the jobs that fell due while it ran have older deadlines.
      job.due = now;
      job.completed_seq = ++completions_;
      return;
    }
    job.due += job.interval;
    if (job.due < now) {
      // The run overran its next due time. That cycle runs at once, late, so a job that takes
      // a little longer than its interval runs back to back instead of idling for a whole slot;
      // older cycles that passed entirely are skipped, never caught up in a burst. `due` stays
      // on the job's phase grid (start + k * interval), so earliest-deadline order still ranks
      // it by how late it is and a job on time on another device is not starved.
      const auto behind = now - job.due;
      const auto skipped = behind / job.interval;
      // The cycles due before `now`; one due exactly at `now` can still start on time.
      const bool on_grid = behind % job.interval == std::chrono::steady_clock::duration::zero();
      late_polls_ += static_cast<std::uint64_t>(skipped) + (on_grid ? 0U : 1U);
      job.due += job.interval * skipped;
    }
    return;
  }
  const TimePoint retry = now + backoff.next();
  for (Job& j : jobs_) {
    if (j.device == job.device) j.due = std::max(j.due, retry);
  }
  job.due = retry;
}

bool PollSchedule::split_request(std::size_t i, std::size_t r) {
  Job& job = jobs_[i];
  auto halves = split(link_.devices[job.device], job.requests[r]);
  if (!halves) return false;
  job.requests[r] = std::move(halves->first);
  job.requests.insert(job.requests.begin() + static_cast<std::ptrdiff_t>(r) + 1,
                      std::move(halves->second));
  job.learned = true;
  return true;
}

void PollSchedule::set_learned_requests(std::size_t i, std::vector<ReadRequest> requests) {
  jobs_[i].requests = std::move(requests);
  jobs_[i].learned = true;
}

void PollSchedule::hold_until(TimePoint t) {
  for (Job& j : jobs_) j.due = std::max(j.due, t);
}

}  // namespace gw::adapters::modbus
