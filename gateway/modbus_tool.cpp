// gateway::modbus_tool: see modbus_tool.hpp. Decoding always goes through the adapter's
// value_codec, so what the tool shows is exactly what the gateway would publish for the same
// type and byte order.
#include "gateway/modbus_tool.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "adapters/modbus/modbus_error.hpp"
#include "adapters/modbus/names.hpp"
#include "adapters/modbus/value_codec.hpp"
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/links_section.hpp"

namespace gw::gateway {
namespace {

namespace mb = adapters::modbus;
using adapters::Value;

constexpr std::array kNumericTypes{mb::DataType::Int16,  mb::DataType::Uint16, mb::DataType::Bcd16,
                                   mb::DataType::Int32,  mb::DataType::Uint32, mb::DataType::Float32,
                                   mb::DataType::Bcd32,  mb::DataType::Int64,  mb::DataType::Uint64,
                                   mb::DataType::Float64};
constexpr std::array kAllOrders{mb::ByteOrder::ABCD, mb::ByteOrder::BADC, mb::ByteOrder::CDAB,
                                mb::ByteOrder::DCBA};
constexpr std::array kPowersOfTen{0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0};
constexpr int kMinExponent = -3;
constexpr int kMaxExponent = 3;
// Relative errors below this count as exact: a float32 carries about 7 significant digits.
constexpr double kExact = 1e-6;
// Wide enough for every int64 and the longest shortest-spelling of a double (-1.2345678901234567e-100).
constexpr int kCellWidth = 24;

template <class E>
std::optional<E> find_word(std::string_view text, std::initializer_list<std::pair<std::string_view, E>> words,
                           std::string_view what, std::string& error) {
  std::string list;
  for (const auto& [word, value] : words) {
    if (word == text) return value;
    list += list.empty() ? std::string(word) : ", " + std::string(word);
  }
  error = fmt::format("'{}' is not a {}: {}", text, what, list);
  return std::nullopt;
}

// Decimal or 0x hex, the whole text.
template <class T>
std::optional<T> parse_integer(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<double> parse_number(std::string_view text) {
  double v = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

bool is_float(mb::DataType t) { return t == mb::DataType::Float32 || t == mb::DataType::Float64; }

std::optional<double> as_double(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&v)) return static_cast<double>(*u);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

Result<Value> decode(mb::DataType type, mb::ByteOrder order, std::span<const std::uint16_t> regs) {
  mb::PointOptions p;
  p.type = type;
  p.length = static_cast<std::uint16_t>(regs.size());
  return mb::decode_registers(p, order, regs);
}

std::string escape(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7F) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  return out + '"';
}

std::string cell(const Result<Value>& r, mb::DataType type) {
  if (r) return format_value(*r, type);
  if (r.error() == mb::CodecErrc::NotANumber) return "NaN/inf";
  return "-";
}

// The column headings of a width section: a 16-bit value only sees the byte swap.
std::string order_heading(mb::ByteOrder o, mb::DataType type) {
  if (mb::register_count(type, 0) != 1) return std::string(mb::name(o, type));
  return o == mb::ByteOrder::ABCD ? "ABCD=CDAB" : "BADC=DCBA";
}

void append_section(std::string& out, std::uint16_t address, std::span<const std::uint16_t> regs,
                    std::uint16_t width) {
  const mb::DataType sample = width == 1 ? mb::DataType::Uint16
                              : width == 2 ? mb::DataType::Uint32
                                           : mb::DataType::Uint64;
  out += fmt::format("\n{}-bit values", 16 * width);
  if (regs.size() < width) {
    out += fmt::format(": need {} registers\n", width);
    return;
  }
  out += fmt::format("\n  {:>7}  {:<8}", "address", "type");
  for (const auto o : distinct_orders(sample)) {
    out += fmt::format(" {:>{}}", order_heading(o, sample), kCellWidth);
  }
  out += '\n';
  for (std::size_t i = 0; i + width <= regs.size(); ++i) {
    for (const auto type : kNumericTypes) {
      if (mb::register_count(type, 0) != width) continue;
      out += fmt::format("  {:>7}  {:<8}", address + i, mb::name(type));
      for (const auto o : distinct_orders(type)) {
        out += fmt::format(" {:>{}}", cell(decode(type, o, regs.subspan(i, width)), type),
                           kCellWidth);
      }
      out += '\n';
    }
  }
}

// Sort key of a candidate: closeness first, then plausibility (see rank_candidates).
auto rank_key(const Candidate& c) {
  const auto type_rank = [](mb::DataType t) {
    if (is_float(t)) return t == mb::DataType::Float32 ? 0 : 1;
    const auto* it = std::find(kNumericTypes.begin(), kNumericTypes.end(), t);
    return 2 + static_cast<int>(it - kNumericTypes.begin());
  };
  return std::make_tuple(c.match ? 0.0 : c.error, c.shift != 0, std::abs(c.exponent),
                         static_cast<int>(c.order), type_rank(c.type), c.address);
}

}  // namespace

// ---- parsing -------------------------------------------------------------------------------------

std::optional<TypedAddress> parse_address(std::string_view text, std::string& error) {
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (digits && text.size() == 6) {
    auto ref = config::parse_modicon_ref(text, error);
    if (!ref) return std::nullopt;
    return TypedAddress{ref->table, ref->address};
  }
  if (auto a = parse_integer<std::uint16_t>(text)) return TypedAddress{std::nullopt, *a};
  error = fmt::format(
      "'{}' is not an address: 0..65535 (0-based, decimal or 0x hex) or a six-digit Modicon "
      "reference such as 400001",
      text);
  return std::nullopt;
}

std::optional<mb::Table> parse_table(std::string_view text, std::string& error) {
  return find_word<mb::Table>(text,
                              {{"holding", mb::Table::HoldingRegister},
                               {"input", mb::Table::InputRegister},
                               {"coil", mb::Table::Coil},
                               {"discrete", mb::Table::DiscreteInput},
                               {"discrete_input", mb::Table::DiscreteInput}},
                              "table", error);
}

std::optional<mb::DataType> parse_data_type(std::string_view text, std::string& error) {
  using T = mb::DataType;
  for (const auto t : {T::Bool, T::Bit, T::Int16, T::Uint16, T::Int32, T::Uint32, T::Int64,
                       T::Uint64, T::Float32, T::Float64, T::String, T::Bcd16, T::Bcd32}) {
    if (mb::name(t) == text) return t;
  }
  error = fmt::format(
      "'{}' is not a type: bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, "
      "string, bcd16, bcd32",
      text);
  return std::nullopt;
}

std::optional<mb::ByteOrder> parse_byte_order(std::string_view text, std::string& error) {
  for (const auto o : kAllOrders) {
    if (mb::name(o) == text || mb::name(o, mb::DataType::Uint64) == text) return o;
  }
  error = fmt::format("'{}' is not a byte order: ABCD, BADC, CDAB, DCBA (64-bit: ABCDEFGH, "
                      "BADCFEHG, GHEFCDAB, HGFEDCBA)",
                      text);
  return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> parse_units(std::string_view text, std::string& error) {
  std::vector<std::uint8_t> units;
  const auto bad = [&](std::string_view part) {
    error = fmt::format("'{}' is not a unit id or range: 0..255, as in 5, 1-247 or 1,3,10-20",
                        part);
    return std::nullopt;
  };
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto dash = part.find('-');
    const auto lo = parse_integer<std::uint8_t>(part.substr(0, dash));
    const auto hi =
        dash == std::string_view::npos ? lo : parse_integer<std::uint8_t>(part.substr(dash + 1));
    if (!lo || !hi || *lo > *hi) return bad(part);
    for (unsigned u = *lo; u <= *hi; ++u) {
      const auto id = static_cast<std::uint8_t>(u);
      if (std::find(units.begin(), units.end(), id) == units.end()) units.push_back(id);
    }
  }
  if (units.empty()) return bad(text);
  return units;
}

std::optional<Value> parse_value(std::string_view text, mb::DataType type, std::string& error) {
  using T = mb::DataType;
  switch (type) {
    case T::Bool:
      if (text == "1" || text == "true" || text == "on") return Value{true};
      if (text == "0" || text == "false" || text == "off") return Value{false};
      error = fmt::format("'{}' is not a coil value: 1, 0, true, false, on, off", text);
      return std::nullopt;
    case T::Bit:
      error = "type bit cannot be written as a value; write the whole register (uint16)";
      return std::nullopt;
    case T::String: return Value{std::string(text)};
    case T::Float32:
    case T::Float64:
      if (auto d = parse_number(text)) return Value{*d};
      error = fmt::format("'{}' is not a number", text);
      return std::nullopt;
    default: break;
  }
  if (!text.empty() && text[0] == '-') {
    if (auto i = parse_integer<std::int64_t>(text)) return Value{*i};
  } else if (auto u = parse_integer<std::uint64_t>(text)) {
    return Value{*u};
  }
  error = fmt::format("'{}' is not an integer ({} takes whole numbers, decimal or 0x hex)", text,
                      mb::name(type));
  return std::nullopt;
}

// ---- decoding ------------------------------------------------------------------------------------

std::vector<mb::ByteOrder> distinct_orders(mb::DataType type) {
  if (mb::register_count(type, 0) == 1) return {mb::ByteOrder::ABCD, mb::ByteOrder::BADC};
  return {kAllOrders.begin(), kAllOrders.end()};
}

std::span<const mb::DataType> numeric_types() { return kNumericTypes; }

std::string format_value(const Value& value, mb::DataType type) {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* i = std::get_if<std::int64_t>(&value)) return fmt::format("{}", *i);
  if (const auto* u = std::get_if<std::uint64_t>(&value)) return fmt::format("{}", *u);
  if (const auto* d = std::get_if<double>(&value)) {
    // A float32 widened to double is exact; printed as a float it keeps its short spelling.
    if (type == mb::DataType::Float32) return fmt::format("{}", static_cast<float>(*d));
    return fmt::format("{}", *d);
  }
  if (const auto* s = std::get_if<std::string>(&value)) return escape(*s);
  return "-";
}

std::string format_registers(mb::Table table, std::uint16_t address,
                             std::span<const std::uint16_t> regs) {
  std::string out = fmt::format("  {:>7}  {:>6}  {:>6}  {:>8}  {:>6}  {}\n", "address", "ref", "hex",
                                "unsigned", "signed", "chars");
  for (std::size_t i = 0; i < regs.size(); ++i) {
    const std::uint16_t r = regs[i];
    const auto a = static_cast<std::uint16_t>(address + i);
    const auto ch = [](unsigned c) { return c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '.'; };
    out += fmt::format("  {:>7}  {:>6}  0x{:04X}  {:>8}  {:>6}  {}{}\n", a,
                       config::format_modicon_ref(table, a), r, r, static_cast<std::int16_t>(r),
                       ch(r >> 8U), ch(r & 0xFFU));
  }
  return out;
}

std::string format_bits(mb::Table table, std::uint16_t address, std::span<const std::uint8_t> bits) {
  std::string out = fmt::format("  {:>7}  {:>6}  {}\n", "address", "ref", "value");
  for (std::size_t i = 0; i < bits.size(); ++i) {
    const auto a = static_cast<std::uint16_t>(address + i);
    out += fmt::format("  {:>7}  {:>6}  {}\n", a, config::format_modicon_ref(table, a),
                       bits[i] != 0 ? 1 : 0);
  }
  return out;
}

std::string format_decodings(std::uint16_t address, std::span<const std::uint16_t> regs) {
  std::string out;
  for (const std::uint16_t width : {1, 2, 4}) append_section(out, address, regs, width);
  out += fmt::format("\nstring of {} register(s) from {}\n", regs.size(), address);
  for (const auto o : distinct_orders(mb::DataType::Uint16)) {  // strings only see the byte swap
    out += fmt::format("  {:<9}  {}\n", order_heading(o, mb::DataType::Uint16),
                       cell(decode(mb::DataType::String, o, regs), mb::DataType::String));
  }
  return out;
}

// ---- guess ---------------------------------------------------------------------------------------

std::optional<GuessRequest> parse_expect(std::string_view text, std::string& error) {
  const auto v = parse_number(text);
  if (!v || !std::isfinite(*v)) {
    error = fmt::format("--expect '{}' is not a number", text);
    return std::nullopt;
  }
  GuessRequest req;
  req.expect = *v;
  if (text.find_first_of("eE") != std::string_view::npos) return req;
  const auto dot = text.find('.');
  const std::size_t decimals = dot == std::string_view::npos ? 0 : text.size() - dot - 1;
  // Half a unit of the last digit shown, with a hair of slack for the binary representation.
  req.tolerance = 0.5 * std::pow(10.0, -static_cast<double>(decimals)) * (1 + 1e-9);
  return req;
}

std::vector<Candidate> rank_candidates(std::uint16_t regs_address,
                                       std::span<const std::uint16_t> regs,
                                       const GuessRequest& req) {
  std::vector<Candidate> out;
  const int lo = std::max(req.min_exponent, kMinExponent);
  const int hi = std::min(req.max_exponent, kMaxExponent);
  const double denominator = req.expect == 0.0 ? 1.0 : std::abs(req.expect);
  for (const auto type : kNumericTypes) {
    const std::uint16_t width = mb::register_count(type, 0);
    for (std::size_t i = 0; i + width <= regs.size(); ++i) {
      const std::uint32_t first = regs_address + i;
      const std::uint32_t last = first + width - 1;
      // One register beyond the range asked for at either end, no further.
      if (first + 1 < req.first || last > req.last + 1U) continue;
      const int shift = first < req.first ? -1 : last > req.last ? 1 : 0;
      for (const auto order : distinct_orders(type)) {
        const auto raw = decode(type, order, regs.subspan(i, width));
        if (!raw) continue;
        const auto v = as_double(*raw);
        if (!v) continue;
        for (int n = lo; n <= hi; ++n) {
          Candidate c{static_cast<std::uint16_t>(first), type, order, n, shift, 0.0, 0.0, false};
          c.value = *v * kPowersOfTen[static_cast<std::size_t>(n - kMinExponent)];
          c.error = std::abs(c.value - req.expect) / denominator;
          c.match = c.error < kExact || std::abs(c.value - req.expect) <= req.tolerance;
          if (std::isfinite(c.error)) out.push_back(c);
        }
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Candidate& a, const Candidate& b) { return rank_key(a) < rank_key(b); });
  return out;
}

std::string scale_text(int exponent) {
  static constexpr std::array<std::string_view, 7> kText{"0.001", "0.01", "0.1", "1",
                                                         "10",    "100",  "1000"};
  return std::string(kText.at(static_cast<std::size_t>(std::clamp(exponent, kMinExponent, kMaxExponent) -
                                                       kMinExponent)));
}

std::string point_yaml(const Candidate& c, mb::Table table, std::string_view name) {
  std::string line = fmt::format("- {{name: {}, table: {}, address: {}, type: {}, byte_order: {}",
                                 name, mb::name(table), c.address, mb::name(c.type),
                                 mb::name(c.order, c.type));
  if (c.exponent != 0) line += ", scale: " + scale_text(c.exponent);
  return line + "}";
}

std::string check_point_yaml(std::string_view line) {
  const std::string yaml = fmt::format(
      "links:\n"
      "  - name: probe\n"
      "    type: modbus-tcp\n"
      "    host: 127.0.0.1\n"
      "    devices:\n"
      "      - name: device\n"
      "        points:\n"
      "          {}\n",
      line);
  config::Diagnostics diag("<point>");
  const auto cfg = config::load_string(yaml, diag);
  return cfg && !diag.has_errors() ? std::string() : diag.format();
}

std::string format_candidates(mb::Table table, std::span<const Candidate> ranked, std::size_t top) {
  std::string out = fmt::format("  {:>4}  {:>12}  {:>6}  {:<8}  {:<8}  {:>5}  {:>22}  {:>10}  {}\n",
                                "rank", "address", "ref", "type", "order", "scale", "value", "error",
                                "match");
  const std::size_t n = std::min(top, ranked.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Candidate& c = ranked[i];
    const std::string where =
        c.shift == 0 ? fmt::format("{}", c.address) : fmt::format("{} ({:+d})", c.address, c.shift);
    const std::string value = c.exponent == 0 ? format_value(Value{c.value}, c.type)
                                              : fmt::format("{:.10g}", c.value);
    out += fmt::format("  {:>4}  {:>12}  {:>6}  {:<8}  {:<8}  {:>5}  {:>22}  {:>9.3g}%{}\n",
                       i + 1, where, config::format_modicon_ref(table, c.address), mb::name(c.type),
                       mb::name(c.order, c.type), scale_text(c.exponent), value, c.error * 100.0,
                       c.match ? "  yes" : "");
  }
  return out;
}

// ---- scan ----------------------------------------------------------------------------------------

Probe classify(const Result<void>& r) {
  if (r) return Probe{};
  const std::error_code ec = r.error();
  if (const auto code = mb::exception_code(ec); code != 0) {
    return Probe{Probe::Kind::Exception, code, ec};
  }
  if (mb::is_connection_error(ec)) return Probe{Probe::Kind::Broken, 0, ec};
  return Probe{Probe::Kind::NoAnswer, 0, ec};
}

std::string describe(const Probe& p) {
  switch (p.kind) {
    case Probe::Kind::Readable: return "readable";
    case Probe::Kind::Exception:
      return fmt::format("exception {:02} ({})", p.exception, p.error.message());
    case Probe::Kind::NoAnswer: return fmt::format("no answer ({})", p.error.message());
    case Probe::Kind::Broken: return fmt::format("connection failed ({})", p.error.message());
  }
  return "?";
}

bool add_block(std::vector<ProbeRun>& runs, std::uint16_t first, std::uint16_t last,
               const Probe& probe) {
  if (!runs.empty() && runs.back().probe == probe && runs.back().last + 1U == first) {
    runs.back().last = last;
    return false;
  }
  runs.push_back(ProbeRun{first, last, probe});
  return true;
}

std::string format_run(mb::Table table, const ProbeRun& run) {
  const std::string where =
      run.first == run.last
          ? fmt::format("{} ({})", run.first, config::format_modicon_ref(table, run.first))
          : fmt::format("{}..{} ({}..{})", run.first, run.last,
                        config::format_modicon_ref(table, run.first),
                        config::format_modicon_ref(table, run.last));
  return fmt::format("{} {}: {}", mb::name(table), where, describe(run.probe));
}

}  // namespace gw::gateway
