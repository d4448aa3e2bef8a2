// adapters::modbus read plan: see read_plan.hpp. One greedy pass over the points of each table in
// address order. Greedy gives the fewest requests: a request covers a run of consecutive points,
// and both limits (gap and span) only get easier for a shorter run, so extending the current
// request as far as it goes never costs a request later.
//
// Thread safety: reentrant.
#include "adapters/modbus/read_plan.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <tuple>

#include "core/check.hpp"

namespace gw::adapters::modbus {
namespace {

// One point as the planner sees it: the registers (or bits) it occupies, [address, end).
struct Extent {
  Table table;
  std::uint32_t address;
  std::uint32_t end;  // one past the last; 32 bits because address + count may be 65536
  std::size_t index;
};

[[nodiscard]] Extent extent_of(const DeviceOptions& device, std::size_t index) {
  GW_CHECK(index < device.points.size());
  const PointOptions& p = device.points[index];
  const std::uint32_t count = is_bit_table(p.table) ? 1 : register_count(p.type, p.length);
  GW_CHECK(count >= 1);  // config/ rejects a string of length 0
  return {p.table, p.address, p.address + count, index};
}

[[nodiscard]] std::uint32_t max_per_read(const DeviceOptions& device, Table table) {
  const std::uint32_t max =
      is_bit_table(table) ? device.max_bits_per_read : device.max_registers_per_read;
  GW_CHECK(max >= 1);
  return max;
}

[[nodiscard]] ReadRequest make_request(const Extent& e) {
  return {e.table, static_cast<std::uint16_t>(e.address),
          static_cast<std::uint16_t>(e.end - e.address), {e.index}};
}

}  // namespace

std::vector<ReadRequest> plan_reads(const DeviceOptions& device,
                                    std::span<const std::size_t> points) {
  std::vector<Extent> extents;
  extents.reserve(points.size());
  for (const std::size_t i : points) extents.push_back(extent_of(device, i));
  // Table enumerators are declared in the documented output order (Coil ... InputRegister).
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return std::tie(a.table, a.address, a.index) < std::tie(b.table, b.address, b.index);
  });

  std::vector<ReadRequest> plan;
  std::uint32_t end = 0;  // end of plan.back()
  for (const Extent& e : extents) {
    const std::uint32_t max = max_per_read(device, e.table);
    // A single point above the maximum is rejected by config/.
    GW_CHECK(e.end - e.address <= max);
    if (!plan.empty() && plan.back().table == e.table) {
      ReadRequest& cur = plan.back();
      // Points that overlap the request (Bit points of one register) have a gap of 0 and do not
      // grow it, so they always join.
      const std::uint32_t gap = e.address > end ? e.address - end : 0;
      const std::uint32_t merged_end = std::max(end, e.end);
      if (gap <= device.max_gap && merged_end - cur.address <= max) {
        cur.count = static_cast<std::uint16_t>(merged_end - cur.address);
        cur.points.push_back(e.index);
        end = merged_end;
        continue;
      }
    }
    plan.push_back(make_request(e));
    end = e.end;
  }
  return plan;
}

std::optional<std::pair<ReadRequest, ReadRequest>> split(const DeviceOptions& device,
                                                         const ReadRequest& request) {
  const std::size_t n = request.points.size();
  if (n < 2) return std::nullopt;
  std::vector<Extent> extents;
  extents.reserve(n);
  for (const std::size_t i : request.points) extents.push_back(extent_of(device, i));

  // Candidate cut k: before extents[k]. Valid only if extents[k] starts at or after the end of
  // everything before it, so that points sharing registers stay together. The best cut has the
  // largest gap; among equal gaps, the one whose centre is nearest the request's centre (all
  // distances doubled to stay in integers), then the lower one.
  const std::int64_t centre2 = 2 * std::int64_t{request.address} + request.count;
  std::optional<std::size_t> best;
  std::int64_t best_gap = -1;
  std::int64_t best_distance = 0;
  std::uint32_t prefix_end = extents[0].end;
  for (std::size_t k = 1; k < n; ++k) {
    const Extent& e = extents[k];
    if (e.address >= prefix_end) {
      const std::int64_t gap = std::int64_t{e.address} - prefix_end;
      const std::int64_t distance =
          std::abs(std::int64_t{prefix_end} + std::int64_t{e.address} - centre2);
      if (gap > best_gap || (gap == best_gap && distance < best_distance)) {
        best = k;
        best_gap = gap;
        best_distance = distance;
      }
    }
    prefix_end = std::max(prefix_end, e.end);
  }
  if (!best) return std::nullopt;

  auto trimmed = [&](std::size_t from, std::size_t to) {
    ReadRequest r = make_request(extents[from]);
    std::uint32_t end = extents[from].end;
    for (std::size_t k = from + 1; k < to; ++k) {
      r.address =
          static_cast<std::uint16_t>(std::min<std::uint32_t>(r.address, extents[k].address));
      end = std::max(end, extents[k].end);
      r.points.push_back(extents[k].index);
    }
    r.count = static_cast<std::uint16_t>(end - r.address);
    return r;
  };
  return std::make_pair(trimmed(0, *best), trimmed(*best, n));
}

}  // namespace gw::adapters::modbus
