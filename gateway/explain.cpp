#include "gateway/explain.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "adapters/modbus/bus_budget.hpp"
#include "adapters/modbus/names.hpp"
#include "adapters/modbus/poll_schedule.hpp"
#include "config/links_section.hpp"
#include "config/units.hpp"

namespace gw::gateway {
namespace {

using namespace adapters::modbus;

std::string where(const LinkOptions& link) {
  if (link.kind == LinkKind::Rtu) {
    const auto& s = link.serial;
    const char parity = s.parity == Parity::Even ? 'E' : s.parity == Parity::Odd ? 'O' : 'N';
    return fmt::format("{} {} {}{}{}", s.device, s.baud, static_cast<int>(s.data_bits), parity,
                       static_cast<int>(s.stop_bits));
  }
  return fmt::format("{}:{}", link.host, link.port);
}

// The fewest requests that could cover `points` if nothing limited a request but the protocol's
// maximum: one per table, or more when a table's span exceeds 125 registers / 2000 bits.
std::size_t minimum_requests(const DeviceOptions& dev, const std::vector<std::size_t>& points) {
  std::map<Table, std::pair<std::uint32_t, std::uint32_t>> spans;
  for (std::size_t p : points) {
    const auto& pt = dev.points[p];
    const std::uint32_t end = pt.address + register_count(pt.type, pt.length);
    auto [it, fresh] = spans.try_emplace(pt.table, pt.address, end);
    if (!fresh) {
      it->second.first = std::min<std::uint32_t>(it->second.first, pt.address);
      it->second.second = std::max(it->second.second, end);
    }
  }
  std::size_t n = 0;
  for (const auto& [table, span] : spans) {
    const std::uint32_t max = is_bit_table(table) ? 2000 : 125;
    n += (span.second - span.first + max - 1) / max;
  }
  return n;
}

}  // namespace

std::string explain(const config::Config& cfg) {
  std::string out;
  const auto& id = cfg.gateway.id;
  out += fmt::format("gateway '{}': readings on {}/<device>/<point>, commands on "
                     "{}/<device>/<point>/set, device status on {}/<device>/status\n",
                     id, id, id, id);
  for (const auto& l : cfg.broker.listeners) {
    out += fmt::format("broker listener {}:{}{}\n", l.address, l.port,
                       l.name.empty() ? "" : " (" + l.name + ")");
  }
  if (cfg.links.empty()) out += "no field links\n";
  for (const LinkOptions& link : cfg.links) {
    out += fmt::format("\nlink '{}': {} {}, response timeout {}, turnaround {}\n", link.name,
                       name(link.kind), where(link), config::format_duration(link.response_timeout),
                       config::format_duration(link.turnaround_delay));
    const PollSchedule schedule(link, PollSchedule::TimePoint{});
    for (std::size_t d = 0; d < link.devices.size(); ++d) {
      const DeviceOptions& dev = link.devices[d];
      out += fmt::format("  device '{}': unit {}, byte order {}, poll every {}, heartbeat {}\n",
                         dev.name, static_cast<int>(dev.unit_id), name(dev.byte_order),
                         config::format_duration(dev.poll_interval),
                         config::format_duration(dev.heartbeat));
      out += fmt::format("    {:<20} {:<15} {:>7} {:>7} {:<8} {:>4} {:<9} {}\n", "point", "table",
                         "address", "ref", "type", "regs", "order", "topic");
      for (const PointOptions& p : dev.points) {
        const auto regs = register_count(p.type, p.length);
        std::string type(name(p.type));
        if (p.type == DataType::Bit) type += fmt::format(".{}", static_cast<int>(p.bit));
        const ByteOrder bo = p.byte_order.value_or(dev.byte_order);
        // One register (and strings, register by register) only know the byte swap.
        const std::string order =
            is_bit_table(p.table) || p.type == DataType::Bit ? std::string("-")
            : regs == 1 || p.type == DataType::String      ? std::string(swaps_bytes(bo) ? "BA" : "AB")
                                                           : std::string(name(bo, p.type));
        out += fmt::format("    {:<20} {:<15} {:>7} {:>7} {:<8} {:>4} {:<9} {}/{}/{}{}\n", p.name,
                           name(p.table), p.address, config::format_modicon_ref(p.table, p.address),
                           type, regs, order, id, dev.name, p.name, p.writable ? " (writable)" : "");
      }
      for (const auto& job : schedule.jobs()) {
        if (job.device != d) continue;
        std::vector<std::size_t> points;
        for (const auto& r : job.requests) points.insert(points.end(), r.points.begin(), r.points.end());
        out += fmt::format("    read plan every {}: {} request(s) per cycle (minimum possible {})\n",
                           config::format_duration(job.interval), job.requests.size(),
                           minimum_requests(dev, points));
        for (const auto& r : job.requests) {
          std::string names;
          for (std::size_t p : r.points) names += " " + dev.points[p].name;
          out += fmt::format("      FC{} {} {}..{} ({} {}):{}\n", read_function(r.table),
                             name(r.table), r.address, r.address + r.count - 1, r.count,
                             is_bit_table(r.table) ? (r.count == 1 ? "bit" : "bits")
                                                  : (r.count == 1 ? "register" : "registers"),
                             names);
        }
      }
    }
    if (link.kind == LinkKind::Rtu) {
      out += fmt::format("  estimated bus load: {:.0f}% of the bus (frames, gaps and turnaround; "
                         "device processing time not included)\n",
                         100.0 * bus_utilisation(link));
    }
  }
  return out;
}

std::vector<std::string> plan_warnings(const config::Config& cfg) {
  std::vector<std::string> warnings;
  for (const LinkOptions& link : cfg.links) {
    const double load = bus_utilisation(link);
    if (load > 1.0) {
      warnings.push_back(fmt::format(
          "link '{}': the poll intervals need {:.0f}% of the bus at {} baud; polls will be late "
          "(lengthen poll_interval, raise the baud rate, or read fewer points)",
          link.name, 100.0 * load, link.serial.baud));
    }
  }
  return warnings;
}

}  // namespace gw::gateway
