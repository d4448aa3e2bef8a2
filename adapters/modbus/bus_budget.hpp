// adapters::modbus bus budget: how much of a serial link's time a poll plan needs. On RS-485
// every byte takes (start + data + parity + stop bits) / baud seconds and each frame is followed
// by 3.5 characters of silence, so a plan that looks harmless in YAML can ask for more than the
// bus has. The estimate counts the request and response frames, the inter-frame gaps and the
// turnaround delay; the device's own processing time is unknown and not counted, so the real
// load is higher. For TCP links the wire time is negligible and the estimate is 0.
//
// Thread safety: reentrant.
#pragma once

#include <chrono>

#include "adapters/modbus/options.hpp"
#include "adapters/modbus/read_plan.hpp"

namespace gw::adapters::modbus {

// The time one read transaction of `request` occupies the bus of `link` (RTU only; 0 for TCP).
[[nodiscard]] std::chrono::microseconds transaction_time(const LinkOptions& link,
                                                         const ReadRequest& request);

// Bytes assumed for a serial instrument's answer when its framing does not fix the length.
inline constexpr std::size_t kAssumedAnswerBytes = 32;

// The time request `request` of instrument `instrument` (on a mixed bus) occupies the bus of
// `link` when answered: the request's bytes, an answer of the fixed frame length (or
// kAssumedAnswerBytes), the gaps and the turnaround delay. A silent instrument holds the bus
// for its response timeout instead.
[[nodiscard]] std::chrono::microseconds instrument_transaction_time(const LinkOptions& link,
                                                                    std::size_t instrument,
                                                                    std::size_t request);

// Bus time per second of wall time that polling every device of `link` at its intervals needs
// (instruments' requests included):
// 0.25 = a quarter of the bus; above 1.0 the poll intervals cannot be met. Jobs polled as fast as
// possible (interval 0) are not counted: they use the bus time the others leave.
[[nodiscard]] double bus_utilisation(const LinkOptions& link);

// True when some point of `link` is polled as fast as possible (its poll_interval, or its
// device's, is 0).
[[nodiscard]] bool has_fast_jobs(const LinkOptions& link);

}  // namespace gw::adapters::modbus
