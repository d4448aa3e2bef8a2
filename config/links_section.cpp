#include "config/links_section.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "config/serial_section.hpp"

namespace gw::config {
namespace {

namespace mb = adapters::modbus;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::uint32_t kLastAddress = 65535;

// --- value kinds of this section ----------------------------------------------------------------

// A poll interval: a duration up to 1d, or 0 (also "0ms", "0s") for "as fast as possible": the
// job is due again the moment it completes (adapters/modbus/poll_schedule.hpp). Intervals below
// a millisecond are refused with a pointer to 0: the options count milliseconds, and a link that
// wants to poll more often than that is bounded by its round trips, which 0 already gives it.
struct PollInterval {
  using value_type = milliseconds;

  std::optional<milliseconds> parse(const YAML::Node& node, const Cursor& at) const {
    auto s = read_scalar(node, at, "a duration " + range());
    if (!s) return std::nullopt;
    const std::string_view text = s->text;
    if (text == "0") return mb::kAsFastAsPossible;
    if (!text.empty() && text.front() == '-') {
      at.error(s->mark, "'" + s->text + "': a poll interval cannot be negative; 0 polls as fast "
                                        "as possible");
      return std::nullopt;
    }
    // Microseconds (us, or with the micro sign) and nanoseconds.
    for (std::string_view sub : {"us", "\u00b5s", "ns"}) {
      if (text.size() > sub.size() && text.front() >= '0' && text.front() <= '9' &&
          text.substr(text.size() - sub.size()) == sub) {
        at.error(s->mark, "'" + s->text + "': poll intervals are whole milliseconds (ms, s, m, h, "
                                          "d); for more often than 1ms use 0, as fast as "
                                          "possible");
        return std::nullopt;
      }
    }
    std::string error;
    const auto ms = parse_duration(text, error);
    if (!ms) {
      at.error(s->mark, error);
      return std::nullopt;
    }
    if (*ms > hours(24)) {
      at.error(s->mark, s->text + " out of range " + range());
      return std::nullopt;
    }
    return *ms;
  }
  [[nodiscard]] std::string type() const { return "duration"; }
  [[nodiscard]] std::string range() const { return "0..1d"; }
  [[nodiscard]] std::string show(milliseconds v) const { return format_duration(v); }
  [[nodiscard]] JsonSpec json() const {
    return {.pattern = "^(?:0|[0-9]+ *(?:ms|s|m|h|d))$", .range = range(), .or_zero = true};
  }
};

// The Modbus words of `type:`, for messages.
const Enum<mb::LinkKind>& link_kind() {
  static const Enum<mb::LinkKind> kind{{{"modbus-tcp", mb::LinkKind::Tcp},
                                        {"modbus-rtu", mb::LinkKind::Rtu},
                                        {"modbus-rtu-over-tcp", mb::LinkKind::RtuOverTcp}}};
  return kind;
}

const Enum<mb::Table>& table_kind() {
  static const Enum<mb::Table> kind{{{"coil", mb::Table::Coil},
                                     {"discrete_input", mb::Table::DiscreteInput},
                                     {"holding", mb::Table::HoldingRegister},
                                     {"input", mb::Table::InputRegister}}};
  return kind;
}

const Enum<mb::DataType>& data_type_kind() {
  using T = mb::DataType;
  static const Enum<T> kind{{{"bool", T::Bool},
                             {"bit", T::Bit},
                             {"int16", T::Int16},
                             {"uint16", T::Uint16},
                             {"int32", T::Int32},
                             {"uint32", T::Uint32},
                             {"int64", T::Int64},
                             {"uint64", T::Uint64},
                             {"float32", T::Float32},
                             {"float64", T::Float64},
                             {"string", T::String},
                             {"bcd16", T::Bcd16},
                             {"bcd32", T::Bcd32}}};
  return kind;
}

// The 64-bit names are aliases of the same four orders (adapters/modbus/options.hpp).
const Enum<mb::ByteOrder>& byte_order_kind() {
  using O = mb::ByteOrder;
  static const Enum<O> kind{{{"ABCD", O::ABCD},
                             {"BADC", O::BADC},
                             {"CDAB", O::CDAB},
                             {"DCBA", O::DCBA},
                             {"ABCDEFGH", O::ABCD},
                             {"BADCFEHG", O::BADC},
                             {"GHEFCDAB", O::CDAB},
                             {"HGFEDCBA", O::DCBA}}};
  return kind;
}

// `ref: 400011`: a register in Modicon notation.
struct ModiconRefKind {
  using value_type = ModiconRef;

  std::optional<ModiconRef> parse(const YAML::Node& node, const Cursor& at) const {
    auto s = read_scalar(node, at, "a Modicon reference such as 400001");
    if (!s) return std::nullopt;
    std::string error;
    auto ref = parse_modicon_ref(s->text, error);
    if (!ref) at.error(s->mark, error);
    return ref;
  }
  [[nodiscard]] std::string type() const { return "reference"; }
  [[nodiscard]] std::string range() const {
    return "0xxxx coil, 1xxxx discrete input, 3xxxx input, 4xxxx holding (5 or 6 digits)";
  }
  [[nodiscard]] std::string show(const ModiconRef& r) const {
    return format_modicon_ref(r.table, r.address);
  }
  [[nodiscard]] JsonSpec json() const {
    // An editor reads `ref: 000001` as the integer 1, so every reference is an integer to it.
    return {.type = JsonSpec::Type::Integer, .minimum = 1, .maximum = 465536, .range = range()};
  }
};

// --- what the file says, before addresses are resolved -------------------------------------------

// A point as written: its options and how its address was given. Only the device knows whether
// a plain `address` counts from 0 or 1, so the protocol address is filled in by to_device().
struct PointEntry {
  mb::PointOptions point;
  std::optional<ModiconRef> ref;
  std::optional<mb::Table> table;
  std::optional<std::int32_t> address;  // as written; address_base applies
};

struct DeviceEntry {
  mb::DeviceOptions device;  // device.points stays empty: the points are below
  std::uint8_t address_base = 0;
  std::vector<PointEntry> points;
};

// `reconnect:` of a link and `backoff:` of a device: the same shape, defaults from the options.
struct ReconnectOptions {
  milliseconds initial = mb::LinkOptions{}.reconnect_initial;
  milliseconds max = mb::LinkOptions{}.reconnect_max;
};
struct BackoffOptions {
  milliseconds initial = mb::DeviceOptions{}.backoff_initial;
  milliseconds max = mb::DeviceOptions{}.backoff_max;
};

// The protocol address of a point of a device with `base`, or a value outside 0..65535 when the
// written address does not fit.
std::int64_t protocol_address(const PointEntry& p, std::uint8_t base) {
  if (p.ref) return p.ref->address;
  return static_cast<std::int64_t>(p.address.value_or(0)) - base;
}

mb::DeviceOptions to_device(DeviceEntry&& e) {
  mb::DeviceOptions d = std::move(e.device);
  d.points.clear();
  d.points.reserve(e.points.size());
  for (auto& p : e.points) {
    p.point.table = p.ref ? p.ref->table : p.table.value_or(p.point.table);
    // A file with an address out of range fails to load, so the cast only ever sees 0..65535.
    p.point.address = static_cast<std::uint16_t>(protocol_address(p, e.address_base));
    d.points.push_back(std::move(p.point));
  }
  return d;
}

// --- positions for cross-field messages ----------------------------------------------------------

using detail::entry;
using detail::value_mark;

const YAML::Mark kNoMark = YAML::Mark::null_mark();

// Binds `key` to `member` of the options struct that an entry wraps (`outer`).
template <class E, class O, class M, class K>
Field<E> wrapped(std::string key, O E::*outer, M O::*member, K kind, std::string doc,
                 Need need = Need::Optional) {
  return field<E>(
      std::move(key), std::move(kind),
      [outer, member](E& e, typename K::value_type&& v) { (e.*outer).*member = std::move(v); },
      [outer, member](const E& e) -> typename K::value_type { return (e.*outer).*member; },
      std::move(doc), need);
}

// --- rules across fields -------------------------------------------------------------------------

template <class B>
void check_backoff(const B& b, const YAML::Node& node, const Cursor& at) {
  if (b.initial <= b.max) return;
  const YAML::Node max = detail::find_value(node, "max");
  if (max.IsDefined()) {
    at.key("max", kNoMark)
        .error(max.Mark(), format_duration(b.max) + " is shorter than initial (" +
                               format_duration(b.initial) + ")");
  } else {
    at.key("initial", kNoMark)
        .error(value_mark(node, "initial"),
               format_duration(b.initial) + " is longer than max (" + format_duration(b.max) + ")");
  }
}

// The heartbeat promises a publish at least that often, which polling slower cannot keep.
void check_heartbeat(milliseconds heartbeat, milliseconds poll, bool heartbeat_given,
                     const YAML::Node& node, const Cursor& at) {
  if (heartbeat >= poll) return;
  if (heartbeat_given) {
    at.key("heartbeat", kNoMark)
        .warning(value_mark(node, "heartbeat"), format_duration(heartbeat) +
                                                    " is shorter than poll_interval (" +
                                                    format_duration(poll) + "): it cannot be met");
  } else {
    at.key("poll_interval", kNoMark)
        .warning(value_mark(node, "poll_interval"),
                 format_duration(poll) + " is longer than heartbeat (" +
                     format_duration(heartbeat) + "): the heartbeat cannot be met");
  }
}

void check_point(const PointEntry& e, const YAML::Node& node, const Cursor& at) {
  const mb::PointOptions& p = e.point;
  const auto given = [&](std::string_view key) {
    return detail::find_value(node, key).IsDefined();
  };
  const auto error_at = [&](const char* key, const std::string& msg) {
    at.key(key, kNoMark).error(value_mark(node, key), msg);
  };
  const std::string type = data_type_kind().show(p.type);

  std::optional<mb::Table> table = e.table;
  if (e.ref) {
    table = e.ref->table;
    for (const char* key : {"table", "address"}) {
      if (given(key))
        error_at(key, "cannot be combined with 'ref', which gives the table and the address");
    }
  } else if (!e.table && !e.address) {
    at.error(node.Mark(), "missing required key 'ref', or 'table' and 'address'");
  } else if (!e.table) {
    at.error(node.Mark(), "missing required key 'table' (with 'address'; or 'ref' alone)");
  } else if (!e.address) {
    at.error(node.Mark(), "missing required key 'address' (with 'table'; or 'ref' alone)");
  }

  if (table) {
    const std::string t = table_kind().show(*table);
    if (mb::is_bit_table(*table) && p.type != mb::DataType::Bool) {
      error_at("type",
               type + " does not fit table " + t + ", which holds single bits: use type bool");
    } else if (!mb::is_bit_table(*table) && p.type == mb::DataType::Bool) {
      error_at("type",
               "bool needs table coil or discrete_input; for one bit of a register use "
               "type bit with bit: 0..15");
    }
    if (p.writable && !mb::is_writable_table(*table)) {
      error_at("writable", "table " + t +
                               " is read-only; only coils and holding registers can be "
                               "written");
    }
  }

  if (p.type == mb::DataType::Bit && !given("bit")) {
    at.error(node.Mark(),
             "missing required key 'bit' (type bit): which bit of the register, 0..15");
  } else if (p.type != mb::DataType::Bit && given("bit")) {
    error_at("bit", "only for type bit, not " + type);
  }
  if (p.type == mb::DataType::String && !given("length")) {
    at.error(node.Mark(), "missing required key 'length' (type string): registers, 1..123");
  } else if (p.type != mb::DataType::String && given("length")) {
    error_at("length", "only for type string; the type " + type + " gives its own size");
  }

  if (p.scale == 0.0)
    error_at("scale", "must not be 0: every value would be published as the offset");
  for (const char* key : {"min", "max"}) {
    if (!p.writable && given(key)) {
      at.key(key, kNoMark)
          .warning(value_mark(node, key),
                   "ignored: it limits written values, and the point is not writable");
    }
  }
  if (p.min && p.max && *p.min > *p.max) {
    error_at("min", Number{}.show(*p.min) + " is greater than max (" + Number{}.show(*p.max) + ")");
  }
}

// Registers (or bits) a point occupies, for the overlap check.
struct Span {
  std::size_t index;
  mb::Table table;
  std::uint32_t first;
  std::uint32_t last;
};

// How the file wrote a point's span, for messages: "holding 10..11" or "400011..400012".
std::string written_span(const PointEntry& e, std::uint8_t base, const Span& s) {
  if (e.ref) {
    const auto ref = [&](std::uint32_t a) {
      return format_modicon_ref(s.table, static_cast<std::uint16_t>(a));
    };
    return s.first == s.last ? ref(s.first) : ref(s.first) + ".." + ref(s.last);
  }
  const std::string t = table_kind().show(s.table) + " ";
  return s.first == s.last
             ? t + std::to_string(s.first + base)
             : t + std::to_string(s.first + base) + ".." + std::to_string(s.last + base);
}

void check_device(const DeviceEntry& e, const YAML::Node& node, const Cursor& at) {
  const mb::DeviceOptions& d = e.device;
  check_heartbeat(d.heartbeat, d.poll_interval, detail::find_value(node, "heartbeat").IsDefined(),
                  node, at);

  std::map<std::string, std::size_t, std::less<>> names;
  std::vector<Span> spans;
  for (std::size_t i = 0; i < e.points.size(); ++i) {
    const PointEntry& pe = e.points[i];
    const mb::PointOptions& p = pe.point;
    const YAML::Node pn = entry(node, "points", i);
    const Cursor pat = at.key("points", kNoMark).index(i, pn.Mark());

    if (auto [it, fresh] = names.emplace(p.name, i); !fresh) {
      pat.key("name", kNoMark)
          .error(value_mark(pn, "name"), "'" + p.name + "' is already the name of points[" +
                                             std::to_string(it->second) + "]");
    }
    if (p.poll_interval || p.heartbeat) {
      check_heartbeat(p.heartbeat.value_or(d.heartbeat), p.poll_interval.value_or(d.poll_interval),
                      p.heartbeat.has_value(), pn, pat);
    }

    // The address, its end, and what one request can carry.
    const char* key = pe.ref ? "ref" : "address";
    const Cursor addr_at = pat.key(key, kNoMark);
    const YAML::Mark addr_mark = value_mark(pn, key);
    const std::int64_t first = protocol_address(pe, e.address_base);
    if (first < 0 || first > kLastAddress) {
      addr_at.error(addr_mark, std::to_string(*pe.address) + " out of range " +
                                   std::to_string(e.address_base) + ".." +
                                   std::to_string(kLastAddress + e.address_base) +
                                   " (address_base is " + std::to_string(e.address_base) + ")");
      continue;
    }
    const mb::Table table = pe.ref ? pe.ref->table : *pe.table;
    const std::uint32_t count = mb::register_count(p.type, p.length);
    const std::string type = data_type_kind().show(p.type);
    if (static_cast<std::uint32_t>(first) + count - 1 > kLastAddress) {
      const std::string written = pe.ref
                                      ? format_modicon_ref(table, static_cast<std::uint16_t>(first))
                                      : std::to_string(*pe.address);
      const std::string last = pe.ref ? format_modicon_ref(table, kLastAddress)
                                      : std::to_string(kLastAddress + e.address_base);
      addr_at.error(addr_mark, type + " at " + written + " needs " + std::to_string(count) +
                                   " registers, past the last register " + last);
      continue;
    }
    if (!mb::is_bit_table(table) && count > d.max_registers_per_read) {
      const char* size_key = p.type == mb::DataType::String ? "length" : "type";
      pat.key(size_key, kNoMark)
          .error(value_mark(pn, size_key),
                 type + " needs " + std::to_string(count) +
                     " registers, more than one read may carry (max_registers_per_read is " +
                     std::to_string(d.max_registers_per_read) + ")");
    }

    // Two points on the same registers would publish one value twice, or garbage twice. The
    // exceptions are bits: several bits of one register, and the bits of a register that is also
    // read whole (a status word and its alarm bits, as device manuals list them).
    const Span span{i, table, static_cast<std::uint32_t>(first),
                    static_cast<std::uint32_t>(first) + count - 1};
    for (const Span& other : spans) {
      if (other.table != table || other.last < span.first || span.last < other.first) continue;
      const PointEntry& oe = e.points[other.index];
      const bool both_bits = p.type == mb::DataType::Bit && oe.point.type == mb::DataType::Bit;
      if (both_bits && p.bit != oe.point.bit) continue;
      if (!both_bits && (p.type == mb::DataType::Bit || oe.point.type == mb::DataType::Bit)) continue;
      if (both_bits) {
        addr_at.error(addr_mark, "'" + p.name + "' reads bit " + std::to_string(p.bit) + " of " +
                                     written_span(pe, e.address_base, span) + ", as '" +
                                     oe.point.name + "' (points[" + std::to_string(other.index) +
                                     "]) already does");
      } else {
        addr_at.error(addr_mark, "'" + p.name + "' (" + written_span(pe, e.address_base, span) +
                                     ") overlaps '" + oe.point.name + "' (points[" +
                                     std::to_string(other.index) + "], " +
                                     written_span(oe, e.address_base, other) + ")");
      }
      break;
    }
    spans.push_back(span);
  }
}

void check_link(const mb::LinkOptions& l, const YAML::Node& node, const Cursor& at) {
  const auto given = [&](std::string_view key) {
    return detail::find_value(node, key).IsDefined();
  };
  const std::string kind = link_kind().show(l.kind);
  if (l.kind == mb::LinkKind::Rtu) {
    for (const char* key : {"host", "port"}) {
      if (given(key)) {
        at.key(key, kNoMark)
            .error(value_mark(node, key), "not for type modbus-rtu, which uses serial.device");
      }
    }
    if (!given("serial")) at.error(node.Mark(), "missing required key 'serial' (type modbus-rtu)");
    if (!l.instruments.empty() && l.serial.rts != mb::SerialOptions::Rts::None) {
      at.key("serial", kNoMark)
          .key("rts", kNoMark)
          .error(value_mark(detail::find_value(node, "serial"), "rts"),
                 "RTS switching by the gateway is for Modbus frames only; with instruments on the "
                 "bus use rs485: true (the kernel drives the transceiver) or a transceiver with "
                 "automatic direction control");
    }
  } else {
    if (!given("host")) at.error(node.Mark(), "missing required key 'host' (type " + kind + ")");
    if (given("serial")) {
      at.key("serial", kNoMark)
          .error(value_mark(node, "serial"),
                 "only for type modbus-rtu; a " + kind + " link connects to host and port");
    }    if (given("instruments")) {
      at.key("instruments", kNoMark)
          .error(value_mark(node, "instruments"),
                 "only for type modbus-rtu: serial instruments share the port of an RS-485 bus; "
                 "a " + kind + " link has none");
    }
  }
  // Two devices with one unit id on a link are one device read twice, or a typo.
  std::map<std::uint8_t, std::size_t> units;
  for (std::size_t j = 0; j < l.devices.size(); ++j) {
    const auto& dev = l.devices[j];
    // On a serial bus (RTU frames, also through a serial server) 0 is the broadcast address that
    // no slave answers and 248..255 are reserved. A Modbus TCP device addressed directly ignores
    // the unit id or expects 0 or 255 (Modbus TCP spec 4.4.2), so those are fine there.
    if (l.kind != mb::LinkKind::Tcp && (dev.unit_id == 0 || dev.unit_id > 247)) {
      at.key("devices", kNoMark)
          .index(j, kNoMark)
          .key("unit_id", kNoMark)
          .error(value_mark(entry(node, "devices", j), "unit_id"),
                 dev.unit_id == 0
                     ? "0 is the broadcast address, which no slave answers; on a " + kind +
                           " link a device needs 1..247"
                     : std::to_string(dev.unit_id) + " is reserved on a serial bus; on a " + kind +
                           " link a device needs 1..247");
    }
    if (auto [it, fresh] = units.emplace(dev.unit_id, j); !fresh) {
      at.key("devices", kNoMark)
          .index(j, kNoMark)
          .key("unit_id", kNoMark)
          .warning(value_mark(entry(node, "devices", j), "unit_id"),
                   "unit_id " + std::to_string(dev.unit_id) + " is also the unit id of '" +
                       l.devices[it->second].name + "' (devices[" + std::to_string(it->second) +
                       "]) on this link");
    }
  }
}

// Where an entry of `links:` went: FieldLinks::serial or ::modbus, at `index`.
struct Slot {
  bool serial = false;
  std::size_t index = 0;
};

// Rules across links of both kinds; `node` is the list. Runs on whatever parsed: a name that did
// not parse is empty and skipped.
void check_links(const FieldLinks& links, const std::vector<Slot>& slots, const YAML::Node& node,
                 const Cursor& at) {
  std::map<std::string, std::size_t, std::less<>> link_names;
  std::map<std::string, std::string, std::less<>> device_names;  // name → "links[i].devices[j]"
  std::map<std::string, std::size_t, std::less<>> ports;
  const auto link_name = [&](std::size_t i) -> const std::string& {
    return slots[i].serial ? links.serial[slots[i].index].link : links.modbus[slots[i].index].name;
  };
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const YAML::Node ln = node[i];
    const Cursor li = at.index(i, ln.Mark());
    const std::string& name = link_name(i);
    if (!name.empty()) {
      if (auto [it, fresh] = link_names.emplace(name, i); !fresh) {
        li.key("name", kNoMark)
            .error(value_mark(ln, "name"), "'" + name + "' is already the name of links[" +
                                               std::to_string(it->second) + "]");
      }
    }
    const auto unique_device = [&](const std::string& device, const std::string& here,
                                   const Cursor& dev_at, const YAML::Mark& mark) {
      if (device.empty()) return;
      if (auto [it, fresh] = device_names.emplace(device, here); !fresh) {
        dev_at.error(mark, "'" + device + "' is already the name of " + it->second +
                               "; device names are topic levels and must be unique in the gateway");
      }
    };
    const auto unique_port = [&](const std::string& device, const std::string& advice) {
      if (device.empty()) return;
      if (auto [it, fresh] = ports.emplace(device, i); !fresh) {
        li.key("serial", kNoMark)
            .key("device", kNoMark)
            .error(value_mark(detail::find_value(ln, "serial"), "device"),
                   device + " is already the port of links[" + std::to_string(it->second) +
                       "] ('" + link_name(it->second) + "'); " + advice);
      }
    };
    if (slots[i].serial) {
      const auto& s = links.serial[slots[i].index];
      // A device named after its link has no `device:` key; its name is where the link's is.
      const char* key = detail::find_value(ln, "device").IsDefined() ? "device" : "name";
      unique_device(s.name, "links[" + std::to_string(i) + "]", li.key(key, kNoMark),
                    value_mark(ln, key));
      unique_port(s.port.device,
                  s.streaming
                      ? "one port carries one link, and a streaming instrument cannot share an "
                        "RS-485 bus: it needs a port of its own"
                      : "one port carries one link; to share an RS-485 bus with Modbus slaves, "
                        "list the instrument under 'instruments:' of the modbus-rtu link");
      continue;
    }
    const auto& l = links.modbus[slots[i].index];
    for (std::size_t j = 0; j < l.devices.size(); ++j) {
      unique_device(l.devices[j].name,
                    "links[" + std::to_string(i) + "].devices[" + std::to_string(j) + "]",
                    li.key("devices", kNoMark).index(j, kNoMark).key("name", kNoMark),
                    value_mark(entry(ln, "devices", j), "name"));
    }
    for (std::size_t k = 0; k < l.instruments.size(); ++k) {
      unique_device(l.instruments[k].instrument.name,
                    "links[" + std::to_string(i) + "].instruments[" + std::to_string(k) + "]",
                    li.key("instruments", kNoMark).index(k, kNoMark).key("name", kNoMark),
                    value_mark(entry(ln, "instruments", k), "name"));
    }
    if (l.kind == mb::LinkKind::Rtu) {
      unique_port(l.serial.device,
                  "the devices of one bus belong in one link, serial instruments under its "
                  "'instruments:'");
    }
  }
}

// --- the schemas --------------------------------------------------------------------------------

template <class B>
const Schema<B>& backoff_schema(const char* name, const char* what) {
  static const Schema<B> schema{
      name,
      {
          field("initial", &B::initial, Duration<milliseconds>{milliseconds(1), hours(24)},
                std::string("First wait before ") + what + "; doubled after each failure."),
          field("max", &B::max, Duration<milliseconds>{milliseconds(1), hours(24)},
                std::string("Longest wait before ") + what + "; at least initial."),
      },
      check_backoff<B>};
  return schema;
}

const Schema<PointEntry>& point_schema() {
  using P = mb::PointOptions;
  using E = PointEntry;
  const auto p = [](std::string key, auto member, auto kind, std::string doc,
                    Need need = Need::Optional) {
    return wrapped(std::move(key), &E::point, member, std::move(kind), std::move(doc), need);
  };
  const Duration<milliseconds> interval{milliseconds(1), hours(24)};
  static const Schema<E> schema{
      "point",
      {
          p("name", &P::name, Identifier{64},
            "Names the point: last level of its topic <gateway>/<device>/<point>; unique in its "
            "device.",
            Need::Required),
          field("ref", &E::ref, Optional<ModiconRefKind>{{}, "none"},
                "Modicon reference, instead of table and address: 400001 or 40001 = holding "
                "register 0."),
          field("table", &E::table, Optional<Enum<mb::Table>>{table_kind(), "none"},
                "Register table, with address (unless ref is given)."),
          field("address", &E::address, Optional<Integer<std::int32_t>>{{0, 65536}, "none"},
                "Address in the table, with table (unless ref is given): 0-based, or 1-based when "
                "the device has address_base: 1."),
          p("type", &P::type, data_type_kind(),
            "How the registers are decoded; also gives the number of registers.", Need::Required),
          p("bit", &P::bit, Integer<std::uint8_t>{0, 15},
            "Type bit only, and required there: the bit of the register, 0 = least significant."),
          field<E>(
              "length", Optional<Integer<std::uint16_t>>{{1, 123}, "none"},
              [](E& e, std::optional<std::uint16_t>&& v) { e.point.length = v.value_or(0); },
              [](const E& e) {
                return e.point.length > 0 ? std::optional(e.point.length) : std::nullopt;
              },
              "Type string only, and required there: registers, two characters each."),
          p("byte_order", &P::byte_order,
            Optional<Enum<mb::ByteOrder>>{byte_order_kind(), "the device's"},
            "Byte order of this point, when it differs from the device's."),
          p("scale", &P::scale, Number{},
            "Published value = raw * scale + offset; not 0. Other than 1 publishes a number "
            "with decimals."),
          p("offset", &P::offset, Number{}, "Added after scale."),
          p("decimals", &P::decimals, Optional<Integer<std::uint8_t>>{{0, 15}, "none"},
            "Decimal places the published value is rounded to."),
          p("unit", &P::unit, Text{0, 64}, "Engineering unit, informational: degC, bar, kWh."),
          p("deadband", &P::deadband, Number{0.0},
            "Publish only changes larger than this (absolute); 0 = any change."),
          p("deadband_percent", &P::deadband_percent, Bool{},
            "The deadband is a percentage of the last published value."),
          p("heartbeat", &P::heartbeat,
            Optional<Duration<milliseconds>>{{milliseconds(1), std::chrono::days(7)},
                                             "the device's"},
            "Publish an unchanged value again after this long."),
          field<E>(
              "min_interval", Optional<Duration<milliseconds>>{interval, "no minimum"},
              [](E& e, std::optional<milliseconds>&& v) {
                e.point.min_interval = v.value_or(milliseconds(0));
              },
              [](const E& e) {
                return e.point.min_interval > milliseconds(0) ? std::optional(e.point.min_interval)
                                                              : std::nullopt;
              },
              "Publish this point at most this often."),
          p("poll_interval", &P::poll_interval, Optional<PollInterval>{{}, "the device's"},
            "Read this point at this interval instead of the device's; 0 = as fast as "
            "possible."),
          p("writable", &P::writable, Bool{},
            "Accept writes on <topic>/set; only on tables coil and holding."),
          p("min", &P::min, Optional<Number>{{}, "none"},
            "Smallest value a write may set (writable points)."),
          p("max", &P::max, Optional<Number>{{}, "none"},
            "Largest value a write may set (writable points); at least min."),
      },
      check_point};
  return schema;
}

const Schema<DeviceEntry>& device_schema() {
  using D = mb::DeviceOptions;
  using E = DeviceEntry;
  const auto d = [](std::string key, auto member, auto kind, std::string doc,
                    Need need = Need::Optional) {
    return wrapped(std::move(key), &E::device, member, std::move(kind), std::move(doc), need);
  };
  static const Schema<E> schema{
      "device",
      {
          d("name", &D::name, Identifier{64},
            "Names the device: second level of its topics; unique in the gateway.", Need::Required),
          d("unit_id", &D::unit_id, Integer<std::uint8_t>{0, 255},
            "Modbus unit identifier (slave address): 1..247 on serial buses; a Modbus TCP "
            "device addressed directly may also need 0 or 255."),
          d("byte_order", &D::byte_order, byte_order_kind(),
            "Byte order of multi-register values; ABCD is big-endian, the Modbus default."),
          field("address_base", &E::address_base, Integer<std::uint8_t>{0, 1},
                "0: the points' addresses are protocol addresses; 1: they count from 1, as "
                "register numbers in many manuals. ref is not affected."),
          d("poll_interval", &D::poll_interval, PollInterval{},
            "How often the points are read; 0 = as fast as possible (each read plan is due "
            "again as soon as it completes)."),
          d("heartbeat", &D::heartbeat,
            Duration<milliseconds>{milliseconds(1), std::chrono::days(7)},
            "An unchanged value is published again after this long."),
          d("max_registers_per_read", &D::max_registers_per_read, Integer<std::uint16_t>{1, 125},
            "Registers one request may read (the Modbus maximum is 125)."),
          d("max_bits_per_read", &D::max_bits_per_read, Integer<std::uint16_t>{1, 2000},
            "Coils or discrete inputs one request may read (the Modbus maximum is 2000)."),
          d("max_gap", &D::max_gap, Integer<std::uint16_t>{0, 125},
            "Unused registers (or bits) read to join two points into one request."),
          d("supports_fc23", &D::supports_fc23, Bool{},
            "The device implements function code 23 (read/write multiple registers)."),
          d("write_multiple", &D::write_multiple, Bool{},
            "Write a single coil with FC 15 and a single register with FC 16, for devices that "
            "answer FC 5 and FC 6 with 'illegal function'."),
          field<E>(
              "backoff",
              Section<BackoffOptions>{
                  &backoff_schema<BackoffOptions>("backoff", "retrying a failed device")},
              [](E& e, BackoffOptions&& b) {
                e.device.backoff_initial = b.initial;
                e.device.backoff_max = b.max;
              },
              [](const E& e) {
                return BackoffOptions{e.device.backoff_initial, e.device.backoff_max};
              },
              "Retrying a device that failed."),
          field("points", &E::points,
                RequiredList<PointEntry>{List<PointEntry>{&point_schema(), 1, 10000, ""}},
                "The values read from the device.", Need::Required),
      },
      check_device};
  return schema;
}

const Schema<mb::SerialOptions>& serial_schema() {
  using S = mb::SerialOptions;
  static const Schema<S> schema{
      "serial",
      {
          field("device", &S::device, Text{1, 4096}, "Serial port: /dev/ttyUSB0, /dev/ttyS1.",
                Need::Required),
          field("baud", &S::baud, Integer<std::uint32_t>{1, 4000000}, "Bits per second."),
          field("parity", &S::parity,
                Enum<mb::Parity>{{{"none", mb::Parity::None},
                                  {"even", mb::Parity::Even},
                                  {"odd", mb::Parity::Odd}}},
                "Parity bit."),
          field("data_bits", &S::data_bits, Integer<std::uint8_t>{5, 8},
                "Data bits per character."),
          field("stop_bits", &S::stop_bits, Integer<std::uint8_t>{1, 2},
                "Stop bits per character."),
          field("rs485", &S::rs485, Bool{}, "Put the port in the kernel's RS-485 mode."),
          field("rts", &S::rts,
                Enum<S::Rts>{{{"none", S::Rts::None}, {"up", S::Rts::Up}, {"down", S::Rts::Down}}},
                "Drive RTS around each transmission: up or down while sending."),
          field<S>(
              "rts_delay", Duration<milliseconds>{milliseconds(0), seconds(1)},
              [](S& s, milliseconds&& v) { s.rts_delay = v; },
              [](const S& s) { return std::chrono::duration_cast<milliseconds>(s.rts_delay); },
              "Wait between switching RTS and sending."),
      }};
  return schema;
}

const Schema<mb::LinkOptions>& link_schema() {
  using L = mb::LinkOptions;
  static const Schema<L> schema{
      "link",
      {
          field("name", &L::name, Identifier{64}, "Names the link in logs; unique in the gateway.",
                Need::Required),
          field<L>(
              "type", link_type_kind(),
              [](L& l, LinkType&& t) {
                // LinksKind hands `type: serial` entries to the serial schema.
                l.kind = t == LinkType::ModbusRtu          ? mb::LinkKind::Rtu
                         : t == LinkType::ModbusRtuOverTcp ? mb::LinkKind::RtuOverTcp
                                                           : mb::LinkKind::Tcp;
              },
              [](const L& l) {
                return l.kind == mb::LinkKind::Rtu          ? LinkType::ModbusRtu
                       : l.kind == mb::LinkKind::RtuOverTcp ? LinkType::ModbusRtuOverTcp
                                                            : LinkType::ModbusTcp;
              },
              "The bus and its framing: Modbus TCP, RTU on a serial port, RTU through a TCP "
              "serial server, or a serial instrument.",
              Need::Required),
          field("host", &L::host, Text{1, 253},
                "Device or serial server: a host name or an IP address. modbus-tcp and "
                "modbus-rtu-over-tcp only, and required there."),
          field("port", &L::port, Integer<std::uint16_t>{1, 65535},
                "TCP port. modbus-tcp and modbus-rtu-over-tcp only."),
          field("serial", &L::serial, Section<mb::SerialOptions>{&serial_schema()},
                "The serial port. modbus-rtu only, and required there."),
          field("response_timeout", &L::response_timeout,
                Duration<milliseconds>{milliseconds(1), minutes(1)},
                "Time a whole response has to arrive."),
          field("turnaround_delay", &L::turnaround_delay,
                Duration<milliseconds>{milliseconds(0), seconds(10)},
                "Silence kept after a response before the next request."),
          field<L>(
              "reconnect",
              Section<ReconnectOptions>{&backoff_schema<ReconnectOptions>(
                  "reconnect", "reopening a lost connection or port")},
              [](L& l, ReconnectOptions&& r) {
                l.reconnect_initial = r.initial;
                l.reconnect_max = r.max;
              },
              [](const L& l) {
                return ReconnectOptions{l.reconnect_initial, l.reconnect_max};
              },
              "Reopening a lost connection or port."),
          field<L>(
              "devices", RequiredList<DeviceEntry>{List<DeviceEntry>{&device_schema(), 1, 247, ""}},
              [](L& l, std::vector<DeviceEntry>&& entries) {
                l.devices.clear();
                for (auto& e : entries) l.devices.push_back(to_device(std::move(e)));
              },
              [](const L&) { return std::vector<DeviceEntry>{}; },
              "The devices (unit ids) on this link.", Need::Required),
          field("instruments", &L::instruments,
                List<mb::BusInstrumentOptions>{&bus_instrument_schema(), 0, 32, "none"},
                "modbus-rtu only: serial instruments in request/response mode on the same bus, "
                "scheduled with the Modbus devices."),
      },
      check_link};
  return schema;
}

constexpr std::size_t kMaxLinks = 256;

// The instruments of a mixed bus are on the link's port: its name and serial settings are theirs.
void share_bus(mb::LinkOptions& l) {
  for (mb::BusInstrumentOptions& bi : l.instruments) {
    auto& o = bi.instrument;
    o.link = l.name;
    o.port.device = l.serial.device;
    o.port.baud = l.serial.baud;
    o.port.parity = l.serial.parity == mb::Parity::Even  ? adapters::serial::Parity::Even
                    : l.serial.parity == mb::Parity::Odd ? adapters::serial::Parity::Odd
                                                         : adapters::serial::Parity::None;
    o.port.data_bits = l.serial.data_bits;
    o.port.stop_bits = l.serial.stop_bits;
    o.turnaround_delay = l.turnaround_delay;
  }
}

// An entry whose `type:` says serial; anything else (modbus, a typo, no type) is for the Modbus
// schema, which reports a bad or missing type with every word, serial included.
bool is_serial(const YAML::Node& item) {
  if (!item.IsMap()) return false;
  const YAML::Node type = detail::find_value(item, "type");
  if (!type.IsDefined() || !type.IsScalar()) return false;
  Diagnostics quiet("");
  const auto s = read_scalar(type, Cursor(quiet, ""), "");
  return s && s->text == "serial";
}

// The JSON Schema of a link entry: the keys of both kinds (a key both have, once; a section both
// have, with the keys of both), required where both kinds require it. The loader checks which
// keys go with which type.
std::vector<JsonKey> merge_keys(std::vector<JsonKey> into, const std::vector<JsonKey>& more) {
  std::vector<bool> in_both(into.size(), false);
  for (const JsonKey& k : more) {
    auto it = std::find_if(into.begin(), into.end(), [&](const JsonKey& e) { return e.key == k.key; });
    if (it == into.end()) {
      JsonKey added = k;
      added.required = false;
      into.push_back(std::move(added));
      in_both.push_back(true);  // already optional
      continue;
    }
    in_both[static_cast<std::size_t>(it - into.begin())] = true;
    it->required = it->required && k.required;
    if (it->value.type == JsonSpec::Type::Object && k.value.type == JsonSpec::Type::Object) {
      it->value.keys = merge_keys(std::move(it->value.keys), k.value.keys);
    }
  }
  for (std::size_t i = 0; i < into.size(); ++i) {
    if (!in_both[i]) into[i].required = false;
  }
  return into;
}

}  // namespace

std::optional<ModiconRef> parse_modicon_ref(std::string_view text, std::string& error) {
  const std::string usage =
      "use 5 or 6 digits, the first naming the table (0 coil, 1 discrete input, 3 input register, "
      "4 holding register): 40001 or 400001 is holding register 1";
  bool digits = text.size() == 5 || text.size() == 6;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (!digits) {
    error = "'" + std::string(text) + "' is not a Modicon reference; " + usage;
    return std::nullopt;
  }
  ModiconRef ref;
  switch (text[0]) {
    case '0':
      ref.table = mb::Table::Coil;
      break;
    case '1':
      ref.table = mb::Table::DiscreteInput;
      break;
    case '3':
      ref.table = mb::Table::InputRegister;
      break;
    case '4':
      ref.table = mb::Table::HoldingRegister;
      break;
    default:
      error = "'" + std::string(text) + "': leading digit " + text[0] +
              " is not a table (0 coil, 1 discrete input, 3 input register, 4 holding register)";
      return std::nullopt;
  }
  std::uint32_t number = 0;
  for (char c : text.substr(1)) number = number * 10 + static_cast<std::uint32_t>(c - '0');
  const std::uint32_t max = text.size() == 5 ? 9999 : 65536;
  if (number < 1 || number > max) {
    error = "'" + std::string(text) + "': register " + std::string(text.substr(1)) +
            " out of range 1.." + std::to_string(max) + " (" + std::to_string(text.size()) +
            "-digit references count from 1)";
    return std::nullopt;
  }
  ref.address = static_cast<std::uint16_t>(number - 1);
  return ref;
}

std::string format_modicon_ref(mb::Table table, std::uint16_t address) {
  char digit = '4';
  switch (table) {
    case mb::Table::Coil:
      digit = '0';
      break;
    case mb::Table::DiscreteInput:
      digit = '1';
      break;
    case mb::Table::InputRegister:
      digit = '3';
      break;
    case mb::Table::HoldingRegister:
      digit = '4';
      break;
  }
  std::string number = std::to_string(static_cast<std::uint32_t>(address) + 1);
  return digit + std::string(5 - number.size(), '0') + number;
}

const Enum<LinkType>& link_type_kind() {
  static const Enum<LinkType> kind{{{"modbus-tcp", LinkType::ModbusTcp},
                                    {"modbus-rtu", LinkType::ModbusRtu},
                                    {"modbus-rtu-over-tcp", LinkType::ModbusRtuOverTcp},
                                    {"serial", LinkType::Serial}}};
  return kind;
}

std::optional<LinksKind::value_type> LinksKind::parse(const YAML::Node& node,
                                                      const Cursor& at) const {
  if (!node.IsSequence()) {
    at.error(mark_of(node, at), "expected a list of links, got " + describe_node(node));
    return std::nullopt;
  }
  if (node.size() > kMaxLinks) {
    at.error(node[kMaxLinks].Mark(), std::to_string(node.size()) + " links; at most " +
                                         std::to_string(kMaxLinks) + " are allowed");
    return std::nullopt;
  }
  FieldLinks links;
  std::vector<Slot> slots;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    const Cursor item_at = at.index(i, item.Mark());
    if (is_serial(item)) {
      adapters::serial::InstrumentOptions o{};
      serial_link_schema().parse(item, o, item_at);
      slots.push_back({true, links.serial.size()});
      links.serial.push_back(std::move(o));
    } else {
      mb::LinkOptions l{};
      link_schema().parse(item, l, item_at);
      share_bus(l);
      slots.push_back({false, links.modbus.size()});
      links.modbus.push_back(std::move(l));
    }
  }
  check_links(links, slots, node, at);
  return links;
}

std::string LinksKind::type() const { return "list of links"; }
std::string LinksKind::range() const { return "0.." + std::to_string(kMaxLinks) + " entries"; }
void LinksKind::describe(const std::string& path, std::vector<FieldInfo>& rows) const {
  // Both kinds' keys; a key both have is described once, as the Modbus table has it.
  const std::size_t first = rows.size();
  link_schema().describe(path + "[]", rows);
  for (FieldInfo& row : serial_link_schema().describe(path + "[]")) {
    const bool known = std::any_of(rows.begin() + static_cast<std::ptrdiff_t>(first), rows.end(),
                                   [&](const FieldInfo& r) { return r.path == row.path; });
    if (!known) rows.push_back(std::move(row));
  }
}
JsonSpec LinksKind::json() const {
  return {.type = JsonSpec::Type::Array,
          .min_length = 0,
          .max_length = kMaxLinks,
          .keys = merge_keys(link_schema().json_keys(), serial_link_schema().json_keys())};
}

}  // namespace gw::config
