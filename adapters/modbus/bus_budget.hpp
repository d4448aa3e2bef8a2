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

// Bus time per second of wall time that polling every device of `link` at its intervals needs:
// 0.25 = a quarter of the bus; above 1.0 the poll intervals cannot be met.
[[nodiscard]] double bus_utilisation(const LinkOptions& link);

}  // namespace gw::adapters::modbus
