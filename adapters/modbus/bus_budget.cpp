#include "adapters/modbus/bus_budget.hpp"

#include <chrono>

#include "adapters/modbus/poll_schedule.hpp"

namespace gw::adapters::modbus {

namespace {

double character_us(const SerialOptions& s) {
  const double bits_per_char = 1.0 + s.data_bits + (s.parity == Parity::None ? 0 : 1) + s.stop_bits;
  return bits_per_char * 1e6 / s.baud;
}

}  // namespace

std::chrono::microseconds instrument_transaction_time(const LinkOptions& link,
                                                      std::size_t instrument,
                                                      std::size_t request) {
  if (link.kind != LinkKind::Rtu) return std::chrono::microseconds{0};
  const auto& inst = link.instruments[instrument].instrument;
  const double char_us = character_us(link.serial);
  const double answer = inst.framing.kind == serial::FramingKind::FixedLength
                            ? inst.framing.length
                            : static_cast<double>(kAssumedAnswerBytes);
  const double frames = static_cast<double>(inst.requests[request].send.size()) + answer;
  const double gap = link.serial.baud > 19200 ? 1750.0 : 3.5 * char_us;
  const double us = frames * char_us + 2 * gap +
                    static_cast<double>(std::chrono::microseconds(link.turnaround_delay).count());
  return std::chrono::microseconds{static_cast<std::int64_t>(us)};
}

std::chrono::microseconds transaction_time(const LinkOptions& link, const ReadRequest& request) {
  if (link.kind != LinkKind::Rtu) return std::chrono::microseconds{0};
  const SerialOptions& s = link.serial;
  const double bits_per_char = 1.0 + s.data_bits + (s.parity == Parity::None ? 0 : 1) + s.stop_bits;
  const double char_us = bits_per_char * 1e6 / s.baud;
  // RTU ADUs: request = unit, function, address, count, CRC = 8 bytes; response = unit,
  // function, byte count, data, CRC.
  const double data = is_bit_table(request.table) ? (request.count + 7) / 8 : 2.0 * request.count;
  const double frames = 8.0 + 5.0 + data;
  const double gap = s.baud > 19200 ? 1750.0 : 3.5 * char_us;
  const double us = frames * char_us + 2 * gap +
                    static_cast<double>(std::chrono::microseconds(link.turnaround_delay).count());
  return std::chrono::microseconds{static_cast<std::int64_t>(us)};
}

double bus_utilisation(const LinkOptions& link) {
  if (link.kind != LinkKind::Rtu) return 0.0;
  const PollSchedule schedule(link, PollSchedule::TimePoint{});
  double busy = 0.0;
  for (const auto& job : schedule.jobs()) {
    // An interval-0 job takes whatever bus time the others leave; it needs none of its own.
    if (job.interval == kAsFastAsPossible) continue;
    double per_cycle_us = 0.0;
    for (const auto& r : job.requests) {
      per_cycle_us += static_cast<double>(transaction_time(link, r).count());
    }
    if (job.device >= link.devices.size()) {
      per_cycle_us += static_cast<double>(
          instrument_transaction_time(link, job.device - link.devices.size(),
                                      job.instrument_request)
              .count());
    }
    busy += per_cycle_us / static_cast<double>(std::chrono::microseconds(job.interval).count());
  }
  return busy;
}

bool has_fast_jobs(const LinkOptions& link) {
  for (const DeviceOptions& dev : link.devices) {
    for (const PointOptions& p : dev.points) {
      if (p.poll_interval.value_or(dev.poll_interval) == kAsFastAsPossible) return true;
    }
  }
  return false;
}

}  // namespace gw::adapters::modbus
