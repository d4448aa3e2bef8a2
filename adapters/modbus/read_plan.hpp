// adapters::modbus read plan: the fewest Modbus read requests that cover a set of points of one
// device (coalescing). Points of one table are merged when the gap between them is at most
// DeviceOptions::max_gap and the request stays within max_registers_per_read (or
// max_bits_per_read). Pure functions: no I/O, no state; `explain` prints the same plan.
//
// When a device answers "illegal data address" (exception 2) to a merged request, the link splits
// it with split() and keeps using the split for that device; a request for a single point that
// still fails is that point's configuration problem.
//
// Thread safety: reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "adapters/modbus/options.hpp"

namespace gw::adapters::modbus {

struct ReadRequest {
  Table table = Table::HoldingRegister;
  std::uint16_t address = 0;  // first register (or bit)
  std::uint16_t count = 0;    // registers (or bits)
  // Indices into DeviceOptions::points that this request covers, in address order. Every point
  // lies entirely inside [address, address + count).
  std::vector<std::size_t> points;
  friend bool operator==(const ReadRequest&, const ReadRequest&) = default;
};

// Requests covering `points` (indices into device.points; any order, no duplicates), ordered by
// table then address. Points that share registers (e.g. several Bit points of one register) land
// in the same request.
[[nodiscard]] std::vector<ReadRequest> plan_reads(const DeviceOptions& device,
                                                  std::span<const std::size_t> points);

// Splits a request of two or more points into two requests at the largest gap between its
// points (ties: the gap nearest the middle of the request's address range, then the lower one),
// each trimmed to its own points; points that share registers stay together. nullopt for a
// request of one point (or of points that all share the same registers): it cannot be split
// further. `request.points` must be in address order, as plan_reads() and split() produce them.
[[nodiscard]] std::optional<std::pair<ReadRequest, ReadRequest>> split(
    const DeviceOptions& device, const ReadRequest& request);

}  // namespace gw::adapters::modbus
