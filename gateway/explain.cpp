#include "gateway/explain.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "adapters/modbus/bus_budget.hpp"
#include "adapters/modbus/learned_splits.hpp"
#include "adapters/modbus/names.hpp"
#include "adapters/modbus/poll_schedule.hpp"
#include "adapters/serial/options.hpp"
#include "config/links_section.hpp"
#include "config/units.hpp"

namespace gw::gateway {
namespace {

using namespace adapters::modbus;

// How often a device or a read plan is polled: "every 1s", or "as fast as possible" (0).
std::string poll_cadence(std::chrono::milliseconds interval) {
  if (interval == kAsFastAsPossible) return "as fast as possible";
  return "every " + config::format_duration(interval);
}

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

namespace sr = adapters::serial;

std::string_view word(sr::ChecksumKind k) {
  switch (k) {
    case sr::ChecksumKind::None: return "none";
    case sr::ChecksumKind::Xor: return "xor";
    case sr::ChecksumKind::Sum8: return "sum8";
    case sr::ChecksumKind::Lrc: return "lrc";
    case sr::ChecksumKind::Crc16Modbus: return "crc16_modbus";
    case sr::ChecksumKind::Crc16Ccitt: return "crc16_ccitt";
    case sr::ChecksumKind::Crc16Xmodem: return "crc16_xmodem";
    case sr::ChecksumKind::Crc16Kermit: return "crc16_kermit";
    case sr::ChecksumKind::Nmea: return "nmea";
  }
  return "?";
}

std::string_view word(sr::ValueType t) {
  switch (t) {
    case sr::ValueType::Number: return "number";
    case sr::ValueType::Integer: return "integer";
    case sr::ValueType::Bool: return "bool";
    case sr::ValueType::String: return "string";
  }
  return "?";
}

// Bytes as a YAML double-quoted string would write them: "W\r", "\x02".
std::string quoted(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (b < 0x20 || b >= 0x7F) {
      out += fmt::format("\\x{:02X}", b);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string framing(const sr::FramingOptions& f) {
  switch (f.kind) {
    case sr::FramingKind::Delimiter:
      return fmt::format("delimiter {}", quoted(f.delimiter));
    case sr::FramingKind::StartEnd:
      return fmt::format("start_end 0x{:02X}..0x{:02X}, trailer {}", f.start.value_or(0), f.end,
                         f.trailer);
    case sr::FramingKind::FixedLength:
      return fmt::format("fixed_length {}", f.length);
    case sr::FramingKind::LengthByte:
      return fmt::format("length_byte at {}, unit {}, trailer {}", f.length_offset,
                         static_cast<int>(f.length_unit), f.trailer);
    case sr::FramingKind::Silence:
      return fmt::format("silence {}", config::format_duration(f.silence));
  }
  return "?";
}

void explain_instrument(const std::string& id, const sr::InstrumentOptions& o, std::string& out) {
  const auto& p = o.port;
  const char parity = p.parity == sr::Parity::Even ? 'E' : p.parity == sr::Parity::Odd ? 'O' : 'N';
  out += fmt::format("\nlink '{}': serial {} {} {}{}{}, framing {} (max {} bytes), checksum {}\n",
                     o.link, p.device, p.baud, static_cast<int>(p.data_bits), parity,
                     static_cast<int>(p.stop_bits), framing(o.framing), o.framing.max_frame,
                     word(o.checksum.kind));
  out += fmt::format("  device '{}': {}, response timeout {}, heartbeat {}\n", o.name,
                     o.streaming ? fmt::format("streaming (silent after {})",
                                               config::format_duration(o.stream_timeout))
                                 : std::string("request/response"),
                     config::format_duration(o.response_timeout),
                     config::format_duration(o.heartbeat));
  for (const auto& r : o.requests) {
    std::string expect;
    for (const auto& e : r.expect) expect += (expect.empty() ? "" : ", ") + e;
    out += fmt::format("    request {} every {}, expects {}\n", quoted(r.send),
                       config::format_duration(r.interval), expect.empty() ? "any pattern" : expect);
  }
  for (const auto& pat : o.patterns) {
    out += fmt::format("    pattern '{}': {}\n", pat.name, pat.regex);
    out += fmt::format("      {:<20} {:<20} {:<8} {}\n", "point", "capture", "type", "topic");
    for (const auto& pt : pat.points) {
      out += fmt::format("      {:<20} {:<20} {:<8} {}/{}/{}\n", pt.name,
                         pt.capture.empty() ? pt.name : pt.capture, word(pt.type), id, o.name,
                         pt.name);
    }
  }
  for (const auto& c : o.commands) {
    out += fmt::format("    command '{}' ({}): sends {}, reply {} on {}/{}/{}/set\n", c.point,
                       word(c.type), quoted(c.send), c.reply, id, o.name, c.point);
  }
}

// An instrument on the bus of a modbus-rtu link: its requests are in the bus plan, with their
// estimated bus time.
void explain_bus_instrument(const std::string& id, const LinkOptions& link, std::size_t k,
                            std::string& out) {
  const auto& bi = link.instruments[k];
  const sr::InstrumentOptions& o = bi.instrument;
  out += fmt::format(
      "  instrument '{}': serial on this bus, framing {} (max {} bytes), checksum {}, response "
      "timeout {}, backoff {}..{}, heartbeat {}\n",
      o.name, framing(o.framing), o.framing.max_frame, word(o.checksum.kind),
      config::format_duration(o.response_timeout), config::format_duration(bi.backoff_initial),
      config::format_duration(bi.backoff_max), config::format_duration(o.heartbeat));
  for (std::size_t r = 0; r < o.requests.size(); ++r) {
    const auto& req = o.requests[r];
    std::string expect;
    for (const auto& e : req.expect) expect += (expect.empty() ? "" : ", ") + e;
    const auto bus_time = instrument_transaction_time(link, k, r);
    out += fmt::format(
        "    bus plan every {}: request {} expects {}; ~{:.1f} ms on the bus ({} + {} bytes{}), "
        "up to {} when unanswered\n",
        config::format_duration(req.interval), quoted(req.send),
        expect.empty() ? "any pattern" : expect, static_cast<double>(bus_time.count()) / 1000.0,
        req.send.size(),
        o.framing.kind == sr::FramingKind::FixedLength ? o.framing.length : kAssumedAnswerBytes,
        o.framing.kind == sr::FramingKind::FixedLength ? "" : " assumed for the answer",
        config::format_duration(req.timeout.value_or(o.response_timeout)));
  }
  for (const auto& pat : o.patterns) {
    out += fmt::format("    pattern '{}': {}\n", pat.name, pat.regex);
    for (const auto& pt : pat.points) {
      out += fmt::format("      {:<20} {:<8} {}/{}/{}\n", pt.name, word(pt.type), id, o.name,
                         pt.name);
    }
  }
  for (const auto& c : o.commands) {
    out += fmt::format("    command '{}' ({}): sends {}, reply {} on {}/{}/{}/set\n", c.point,
                       word(c.type), quoted(c.send), c.reply, id, o.name, c.point);
  }
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
  if (cfg.links.empty() && cfg.instruments.empty()) out += "no field links\n";
  for (const LinkOptions& link : cfg.links) {
    out += fmt::format("\nlink '{}': {} {}, response timeout {}, turnaround {}\n", link.name,
                       name(link.kind), where(link), config::format_duration(link.response_timeout),
                       config::format_duration(link.turnaround_delay));
    PollSchedule schedule(link, PollSchedule::TimePoint{});
    // The plan the link starts with: the splits it learned in earlier runs, where they still fit.
    if (!link.learned_splits.empty()) {
      const LoadedSplits loaded = load_learned_splits(link.learned_splits);
      if (!loaded.error.empty()) {
        out += fmt::format("  learned splits in {} ignored: {}\n", link.learned_splits,
                           loaded.error);
      } else {
        const AdoptOutcome outcome = adopt_learned_splits(link, schedule, loaded.requests);
        for (const auto& d : outcome.discarded) {
          out += fmt::format("  learned split in {} not used: {}\n", link.learned_splits, d);
        }
      }
    }
    for (std::size_t d = 0; d < link.devices.size(); ++d) {
      const DeviceOptions& dev = link.devices[d];
      out += fmt::format("  device '{}': unit {}, byte order {}, poll {}, heartbeat {}\n",
                         dev.name, static_cast<int>(dev.unit_id), name(dev.byte_order),
                         poll_cadence(dev.poll_interval),
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
        out += fmt::format("    read plan {}: {} request(s) per cycle (minimum possible {}){}\n",
                           poll_cadence(job.interval), job.requests.size(),
                           minimum_requests(dev, points),
                           job.learned ? fmt::format(", learned: the device refused a merged read "
                                                     "(kept in {})",
                                                     link.learned_splits)
                                       : std::string());
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
    for (std::size_t k = 0; k < link.instruments.size(); ++k) {
      explain_bus_instrument(id, link, k, out);
    }
    if (link.kind == LinkKind::Rtu) {
      out += fmt::format("  estimated bus load: {:.0f}% of the bus (frames, gaps and turnaround; "
                         "device processing time not included){}\n",
                         100.0 * bus_utilisation(link),
                         has_fast_jobs(link) ? "; the points polled as fast as possible take the "
                                               "rest"
                                             : "");
    }
  }
  for (const auto& instrument : cfg.instruments) explain_instrument(id, instrument, out);
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
