#include "config/serial_section.hpp"

#include <chrono>
#include <cstddef>
#include <utility>
#include <vector>

#include "adapters/serial/options_validation.hpp"
#include "config/links_section.hpp"

namespace gw::config {
namespace {

namespace mb = adapters::modbus;
namespace sr = adapters::serial;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// --- value kinds of this section ----------------------------------------------------------------

// Bytes written as a YAML string: "\r\n", "\x02", "W\r". yaml-cpp hands escapes of 0x80..0xFF over
// as UTF-8, so each character is taken back as one byte; a character above U+00FF cannot be one.
struct Bytes {
  using value_type = std::string;
  std::size_t min_length = 0;
  std::size_t max_length = 1024;

  std::optional<std::string> parse(const YAML::Node& node, const Cursor& at) const {
    auto s = read_scalar(node, at, "a string of bytes");
    if (!s) return std::nullopt;
    std::string out;
    const std::string& t = s->text;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const auto b = static_cast<unsigned char>(t[i]);
      if (b < 0x80) {
        out += static_cast<char>(b);
        continue;
      }
      const bool two_byte = (b == 0xC2 || b == 0xC3) && i + 1 < t.size() &&
                            (static_cast<unsigned char>(t[i + 1]) & 0xC0) == 0x80;
      if (!two_byte) {
        at.error(s->mark, "holds a character above U+00FF; a byte string takes bytes 0..255, "
                          "written as \"\\xNN\" in a double-quoted string");
        return std::nullopt;
      }
      out += static_cast<char>(((b & 0x1F) << 6) | (static_cast<unsigned char>(t[i + 1]) & 0x3F));
      ++i;
    }
    if (out.size() < min_length || out.size() > max_length) {
      at.error(s->mark, out.empty() ? std::string("must not be empty")
                                    : std::to_string(out.size()) + " bytes, out of range " +
                                          range());
      return std::nullopt;
    }
    return out;
  }
  [[nodiscard]] std::string type() const { return "bytes"; }
  [[nodiscard]] std::string range() const {
    return std::to_string(min_length) + ".." + std::to_string(max_length) + " bytes";
  }
  // The reference shows bytes as a YAML double-quoted string would write them.
  [[nodiscard]] std::string show(const std::string& v) const {
    std::string out = "\"";
    for (char c : v) {
      switch (c) {
        case '\r':
          out += "\\r";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        default:
          out += c;
      }
    }
    return out + "\"";
  }
  [[nodiscard]] JsonSpec json() const {
    JsonSpec j;
    if (min_length > 0) j.min_length = min_length;
    // A character of the YAML text is one byte, so the JSON length is the byte count.
    j.max_length = max_length;
    return j;
  }
  [[nodiscard]] std::string json_value(const std::string& v) const {
    return v.empty() ? std::string() : json_quote(v);
  }
};

// A list of scalars: `true_values: [A, "1"]`, `expect: [weight, status]`.
template <class K>
struct ScalarList {
  using value_type = std::vector<typename K::value_type>;
  K kind;
  std::size_t min_items = 0;
  std::size_t max_items = 16;

  std::optional<value_type> parse(const YAML::Node& node, const Cursor& at) const {
    if (!node.IsSequence()) {
      at.error(mark_of(node, at), "expected a list of " + kind.type() + "s, got " +
                                      describe_node(node));
      return std::nullopt;
    }
    if (node.size() < min_items || node.size() > max_items) {
      at.error(mark_of(node, at), std::to_string(node.size()) + " entries, out of range " + range());
      return std::nullopt;
    }
    value_type out;
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      auto v = kind.parse(node[i], at.index(i, node[i].Mark()));
      if (!v) {
        ok = false;
        continue;
      }
      out.push_back(std::move(*v));
    }
    if (!ok) return std::nullopt;
    return out;
  }
  [[nodiscard]] std::string type() const { return "list of " + kind.type() + "s"; }
  [[nodiscard]] std::string range() const {
    return std::to_string(min_items) + ".." + std::to_string(max_items) + " entries";
  }
  [[nodiscard]] std::string show(const value_type& v) const {
    if (v.empty()) return "none";
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : ", ") + kind.show(e);
    return out;
  }
  [[nodiscard]] JsonSpec json() const {
    return {.type = JsonSpec::Type::Array,
            .min_length = min_items,
            .max_length = max_items,
            .item = {kind.json()}};
  }
  [[nodiscard]] std::string json_value(const value_type& v) const {
    std::string out = "[";
    for (const auto& e : v) out += (out.size() > 1 ? "," : "") + json_quote(e);
    return out + "]";
  }
};

const Enum<sr::ValueType>& value_type_kind() {
  using V = sr::ValueType;
  static const Enum<V> kind{
      {{"number", V::Number}, {"integer", V::Integer}, {"bool", V::Bool}, {"string", V::String}}};
  return kind;
}

// `reconnect:` of a serial link: the same shape as a Modbus link's.
struct ReconnectOptions {
  milliseconds initial = sr::InstrumentOptions{}.reconnect_initial;
  milliseconds max = sr::InstrumentOptions{}.reconnect_max;
};

// --- validate() problems at their YAML nodes ----------------------------------------------------

const YAML::Mark kNoMark = YAML::Mark::null_mark();

struct Step {
  std::string key;  // empty: an index
  std::size_t index = 0;
};

// "patterns[1].points[0].capture" → patterns, [1], points, [0], capture.
std::vector<Step> steps_of(std::string_view path) {
  std::vector<Step> steps;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
    } else if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      std::size_t n = 0;
      for (std::size_t k = i + 1; k < close && k < path.size(); ++k) {
        n = n * 10 + static_cast<std::size_t>(path[k] - '0');
      }
      steps.push_back({"", n});
      i = close == std::string_view::npos ? path.size() : close + 1;
    } else {
      const std::size_t end = path.find_first_of(".[", i);
      steps.push_back({std::string(path.substr(i, end - i)), 0});
      i = end == std::string_view::npos ? path.size() : end;
    }
  }
  return steps;
}

// The struct's names of the top-level keys that the file spells differently (header comment).
std::vector<Step> file_steps(std::string_view problem_path) {
  std::vector<Step> steps = steps_of(problem_path);
  if (steps.empty()) return steps;
  std::string& first = steps.front().key;
  if (first == "link") {
    first = "name";
  } else if (first == "name") {
    first = "device";
  } else if (first == "port") {
    first = "serial";
  } else if (first == "reconnect_initial" || first == "reconnect_max") {
    const std::string inner = first == "reconnect_initial" ? "initial" : "max";
    first = "reconnect";
    steps.insert(steps.begin() + 1, Step{inner, 0});
  } else if (first == "mode") {
    steps.clear();  // the link as a whole: streaming, requests or commands
  }
  return steps;
}

void check_instrument(const sr::InstrumentOptions& o, const YAML::Node& node, const Cursor& at) {
  for (const sr::ConfigProblem& p : sr::validate(o)) {
    Cursor c = at;
    YAML::Node here = node;
    YAML::Mark mark = node.Mark();
    bool found = true;
    for (const Step& s : file_steps(p.path)) {
      c = s.key.empty() ? c.index(s.index, kNoMark) : c.key(s.key, kNoMark);
      if (!found) continue;
      YAML::Node next;
      if (!s.key.empty()) {
        next = here.IsMap() ? detail::find_value(here, s.key) : YAML::Node(YAML::NodeType::Undefined);
      } else if (here.IsSequence() && s.index < here.size()) {
        next = here[s.index];
      }
      if (!next.IsDefined()) {
        found = false;  // a default: report where it would be written
        continue;
      }
      here = next;
      mark = next.Mark();
    }
    c.error(mark, p.message);
  }
}

// --- the schemas --------------------------------------------------------------------------------

const Schema<ReconnectOptions>& reconnect_schema() {
  using R = ReconnectOptions;
  static const Schema<R> schema{
      "reconnect",
      {
          field("initial", &R::initial, Duration<milliseconds>{milliseconds(1), hours(24)},
                "First wait before reopening the port; doubled after each failure."),
          field("max", &R::max, Duration<milliseconds>{milliseconds(1), hours(24)},
                "Longest wait before reopening the port; at least initial."),
      }};
  return schema;
}

const Schema<sr::PortOptions>& port_schema() {
  using P = sr::PortOptions;
  static const Schema<P> schema{
      "serial",
      {
          field("device", &P::device, Text{1, 4096},
                "Serial port: /dev/ttyUSB0, or a stable /dev/serial/by-id/... link.",
                Need::Required),
          field("baud", &P::baud, Integer<std::uint32_t>{50, 4000000},
                "Bits per second: a standard rate (1200, 9600, 19200, 115200, ...)."),
          field("parity", &P::parity,
                Enum<sr::Parity>{{{"none", sr::Parity::None},
                                  {"even", sr::Parity::Even},
                                  {"odd", sr::Parity::Odd}}},
                "Parity bit."),
          field("data_bits", &P::data_bits, Integer<std::uint8_t>{5, 8},
                "Data bits per character."),
          field("stop_bits", &P::stop_bits, Integer<std::uint8_t>{1, 2},
                "Stop bits per character."),
          field("flow_control", &P::flow_control,
                Enum<sr::FlowControl>{{{"none", sr::FlowControl::None},
                                       {"rtscts", sr::FlowControl::RtsCts},
                                       {"xonxoff", sr::FlowControl::XonXoff}}},
                "Serial instruments only: hardware (RTS/CTS) or software (XON/XOFF) flow control."),
          field("flush_on_open", &P::flush_on_open, Bool{},
                "Serial instruments only: discard input buffered before the port was opened."),
      }};
  return schema;
}

const Schema<sr::FramingOptions>& framing_schema() {
  using F = sr::FramingOptions;
  using K = sr::FramingKind;
  static const Schema<F> schema{
      "framing",
      {
          field("kind", &F::kind,
                Enum<K>{{{"delimiter", K::Delimiter},
                         {"start_end", K::StartEnd},
                         {"fixed_length", K::FixedLength},
                         {"length_byte", K::LengthByte},
                         {"silence", K::Silence}}},
                "How the byte stream is cut into frames."),
          field("delimiter", &F::delimiter, Bytes{1, 8},
                "delimiter: the bytes that end a frame (removed from it)."),
          field("start", &F::start, Optional<Integer<std::uint8_t>>{{0, 255}, "none"},
                "start_end (required): the byte that starts a frame, e.g. 2 (STX); "
                "length_byte: an optional sync byte."),
          field("end", &F::end, Integer<std::uint8_t>{0, 255},
                "start_end: the byte that ends a frame, e.g. 3 (ETX)."),
          field("trailer", &F::trailer, Integer<std::uint16_t>{0, 65535},
                "start_end, length_byte: bytes after the end byte or the body (a BCC, a CRC)."),
          field<F>(
              "length", Optional<Integer<std::uint16_t>>{{1, 65535}, "none"},
              [](F& f, std::optional<std::uint16_t>&& v) { f.length = v.value_or(0); },
              [](const F& f) { return f.length > 0 ? std::optional(f.length) : std::nullopt; },
              "fixed_length (required): bytes per frame, at most max_frame."),
          field("length_offset", &F::length_offset, Integer<std::uint16_t>{0, 65534},
                "length_byte: index of the length byte (the header before it)."),
          field("length_unit", &F::length_unit, Integer<std::uint8_t>{1, 255},
                "length_byte: body bytes per unit of the length byte."),
          field("silence", &F::silence, Duration<milliseconds>{milliseconds(0), minutes(1)},
                "silence (required): the quiet gap that ends a frame; other kinds: a partial "
                "frame followed by this much silence is discarded (0 = kept)."),
          field<F>(
              "max_frame", Integer<std::uint32_t>{1, 65535},
              [](F& f, std::uint32_t&& v) { f.max_frame = v; },
              [](const F& f) { return static_cast<std::uint32_t>(f.max_frame); },
              "Longest frame accepted, in bytes; a longer one is discarded and counted."),
      }};
  return schema;
}

const Schema<sr::ChecksumOptions>& checksum_schema() {
  using C = sr::ChecksumOptions;
  using K = sr::ChecksumKind;
  static const Schema<C> schema{
      "checksum",
      {
          field("kind", &C::kind,
                Enum<K>{{{"none", K::None},
                         {"xor", K::Xor},
                         {"sum8", K::Sum8},
                         {"lrc", K::Lrc},
                         {"crc16_modbus", K::Crc16Modbus},
                         {"crc16_ccitt", K::Crc16Ccitt},
                         {"crc16_xmodem", K::Crc16Xmodem},
                         {"crc16_kermit", K::Crc16Kermit},
                         {"nmea", K::Nmea}}},
                "The checksum every frame carries; a frame that fails it is counted and its "
                "points get bad_crc. nmea has a fixed layout: set no other key."),
          field("encoding", &C::encoding,
                Enum<sr::ChecksumEncoding>{{{"ascii_hex", sr::ChecksumEncoding::AsciiHex},
                                            {"binary", sr::ChecksumEncoding::Binary}}},
                "How the checksum field is written: hex digits or raw bytes."),
          field("big_endian", &C::big_endian, Optional<Bool>{{}, "the kind's convention"},
                "Binary CRC-16 only: high byte first (modbus and kermit send the low byte "
                "first, ccitt and xmodem the high byte)."),
          field("skip_leading", &C::skip_leading, Integer<std::uint16_t>{0, 65535},
                "Bytes at the start of the frame not covered (a start byte, a ':')."),
          field("trailing", &C::trailing, Integer<std::uint16_t>{0, 65535},
                "Bytes after the checksum field, not covered (an ETX)."),
          field("separator", &C::separator, Bytes{0, 8},
                "Bytes between the covered bytes and the checksum field, not covered."),
          field("hex_data", &C::hex_data, Bool{},
                "The covered bytes are ASCII hex pairs; the checksum is over the bytes they "
                "encode (Modbus ASCII)."),
      }};
  return schema;
}

const Schema<sr::PointOptions>& point_schema() {
  using P = sr::PointOptions;
  const ScalarList<Text> words{Text{1, 64}, 1, 16};
  static const Schema<P> schema{
      "point",
      {
          field("name", &P::name, Identifier{64},
                "Names the point: last level of its topic <gateway>/<device>/<point>; unique in "
                "the instrument.",
                Need::Required),
          field<P>(
              "capture", Optional<Identifier>{{64}, "the point's name"},
              [](P& p, std::optional<std::string>&& v) { p.capture = v.value_or(""); },
              [](const P& p) {
                return p.capture.empty() ? std::nullopt : std::optional(p.capture);
              },
              "The named group (?<name>...) of the pattern that holds the value."),
          field("type", &P::type, value_type_kind(), "How the captured text is converted."),
          field("base", &P::base, Integer<std::uint8_t>{10, 16},
                "Type integer only: 10 or 16 (hex, with an optional 0x)."),
          field("scale", &P::scale, Number{},
                "Published value = parsed * scale + offset; not 0."),
          field("offset", &P::offset, Number{}, "Added after scale."),
          field("decimals", &P::decimals, Optional<Integer<std::uint8_t>>{{0, 15}, "none"},
                "Decimal places the published value is rounded to."),
          field("unit", &P::unit, Text{0, 64}, "Engineering unit, informational: kg, m, ppm."),
          field("true_values", &P::true_values, words,
                "Type bool only: the words that mean true (case-insensitive)."),
          field("false_values", &P::false_values, words,
                "Type bool only: the words that mean false (case-insensitive)."),
          field("deadband", &P::deadband, Number{0.0},
                "Publish only changes larger than this (absolute); 0 = any change."),
          field("deadband_percent", &P::deadband_percent, Bool{},
                "The deadband is a percentage of the last published value."),
          field("heartbeat", &P::heartbeat,
                Optional<Duration<milliseconds>>{{milliseconds(1), std::chrono::days(7)},
                                                 "the instrument's"},
                "Publish an unchanged value again after this long."),
          field("min_interval", &P::min_interval,
                Duration<milliseconds>{milliseconds(0), hours(24)},
                "Publish this point at most this often; 0 = no minimum."),
      }};
  return schema;
}

const Schema<sr::PatternOptions>& pattern_schema() {
  using P = sr::PatternOptions;
  static const Schema<P> schema{
      "pattern",
      {
          field("name", &P::name, Identifier{64},
                "Names the pattern; unique in the instrument; requests[].expect refers to it.",
                Need::Required),
          field("regex", &P::regex, Text{1, 4096},
                "PCRE2 regular expression searched in the frame (anchor it with ^ and $), on "
                "bytes; its named groups (?<name>...) hold the points' text.",
                Need::Required),
          field("points", &P::points,
                RequiredList<sr::PointOptions>{List<sr::PointOptions>{&point_schema(), 1, 256, ""}},
                "The values a matching frame carries.", Need::Required),
      }};
  return schema;
}

const Schema<sr::RequestOptions>& request_schema() {
  using R = sr::RequestOptions;
  static const Schema<R> schema{
      "request",
      {
          field("send", &R::send, Bytes{1, 1024},
                "The bytes sent, as they are: \"W\\r\", \"\\x05\".", Need::Required),
          field("interval", &R::interval, Duration<milliseconds>{milliseconds(1), hours(24)},
                "How often the request is sent."),
          field("timeout", &R::timeout,
                Optional<Duration<milliseconds>>{{milliseconds(1), minutes(1)},
                                                 "the instrument's response_timeout"},
                "Time the whole answer has to arrive."),
          field("expect", &R::expect, ScalarList<Identifier>{Identifier{64}, 0, 16},
                "The patterns the answer consists of (every one must arrive); none = any one "
                "pattern."),
      }};
  return schema;
}

const Schema<sr::CommandOptions>& command_schema() {
  using C = sr::CommandOptions;
  static const Schema<C> schema{
      "command",
      {
          field("point", &C::point, Identifier{64},
                "The point commands address on <gateway>/<device>/<point>/set.", Need::Required),
          field("type", &C::type, value_type_kind(), "The type of the commanded value."),
          field("send", &C::send, Bytes{1, 1024},
                "Template of the bytes sent: {value}, {value:.2f}, {value:d}, {value:x}; "
                "{checksum} seals it with the instrument's checksum; {{ and }} are braces.",
                Need::Required),
          field("reply", &C::reply, Text{1, 4096},
                "Regular expression of the success reply; a (?<value>...) group holds the "
                "confirmed value.",
                Need::Required),
          field("reply_error", &C::reply_error, Text{0, 4096},
                "Regular expression of an error reply; empty = none."),
          field("timeout", &C::timeout,
                Optional<Duration<milliseconds>>{{milliseconds(1), minutes(1)},
                                                 "the instrument's response_timeout"},
                "Time the reply has to arrive."),
          field("scale", &C::scale, Number{}, "Of the confirmed value, as for points; not 0."),
          field("offset", &C::offset, Number{}, "Of the confirmed value, added after scale."),
          field("min", &C::min, Optional<Number>{{}, "none"},
                "Smallest value a command may send (number and integer)."),
          field("max", &C::max, Optional<Number>{{}, "none"},
                "Largest value a command may send (number and integer); at least min."),
      }};
  return schema;
}

// --- an instrument on a shared bus (`instruments:` of a modbus-rtu link) -------------------------

struct BusBackoff {
  milliseconds initial{};
  milliseconds max{};
};

const Schema<BusBackoff>& bus_backoff_schema() {
  using B = BusBackoff;
  static const Schema<B> schema{
      "backoff",
      {
          field("initial", &B::initial, Duration<milliseconds>{milliseconds(1), hours(24)},
                "First wait before retrying a failed instrument; doubled after each failure."),
          field("max", &B::max, Duration<milliseconds>{milliseconds(1), hours(24)},
                "Longest wait before retrying a failed instrument; at least initial."),
      },
      [](const B& b, const YAML::Node& node, const Cursor& at) {
        if (b.initial <= b.max) return;
        const YAML::Node max = detail::find_value(node, "max");
        at.key(max.IsDefined() ? "max" : "initial", kNoMark)
            .error(max.IsDefined() ? max.Mark() : node.Mark(),
                   format_duration(b.max) + " is shorter than initial (" +
                       format_duration(b.initial) + ")");
      }};
  return schema;
}

// Binds `key` to `member` of the InstrumentOptions of a BusInstrumentOptions.
template <class M, class K>
Field<mb::BusInstrumentOptions> inner(std::string key, M sr::InstrumentOptions::*member, K kind,
                                      std::string doc, Need need = Need::Optional) {
  using E = mb::BusInstrumentOptions;
  return field<E>(
      std::move(key), std::move(kind),
      [member](E& e, typename K::value_type&& v) { e.instrument.*member = std::move(v); },
      [member](const E& e) -> typename K::value_type { return e.instrument.*member; },
      std::move(doc), need);
}

// validate() on an instrument whose port is the bus's (filled in by the link): port problems are
// the link's `serial:` to report, everything else is reported here.
void check_bus_instrument(const mb::BusInstrumentOptions& o, const YAML::Node& node,
                          const Cursor& at) {
  if (o.instrument.streaming) {
    at.key("streaming", kNoMark)
        .error(detail::value_mark(node, "streaming"),
               "a streaming instrument cannot share a half-duplex RS-485 bus (it would talk "
               "over the master's requests); give it a port of its own with type: serial");
  }
  sr::InstrumentOptions probe = o.instrument;
  probe.streaming = false;
  probe.link = "bus";         // the link's name, checked there
  probe.port.device = "bus";  // the bus's port: checked as the link's serial section
  check_instrument(probe, node, at);
}

}  // namespace

const Schema<mb::BusInstrumentOptions>& bus_instrument_schema() {
  using E = mb::BusInstrumentOptions;
  using O = sr::InstrumentOptions;
  static const Schema<E> schema{
      "instrument",
      {
          inner("name", &O::name, Identifier{64},
                "modbus-rtu only: names the instrument, second level of its topics; unique in "
                "the gateway.",
                Need::Required),
          inner("framing", &O::framing, Section<sr::FramingOptions>{&framing_schema()},
                "How the instrument's byte stream is cut into frames."),
          inner("checksum", &O::checksum, Section<sr::ChecksumOptions>{&checksum_schema()},
                "The checksum each frame carries."),
          inner("patterns", &O::patterns,
                List<sr::PatternOptions>{&pattern_schema(), 0, 64, "none"},
                "The kinds of frame the instrument sends, tried in order."),
          inner("requests", &O::requests,
                List<sr::RequestOptions>{&request_schema(), 0, 64, "none"},
                "Requests sent on a schedule, in the bus's one schedule with the Modbus polls."),
          inner("commands", &O::commands,
                List<sr::CommandOptions>{&command_schema(), 0, 64, "none"},
                "Writable points and the bytes a command sends."),
          inner("streaming", &O::streaming, Bool{},
                "Must stay false: a streaming instrument cannot share a bus."),
          inner("response_timeout", &O::response_timeout,
                Duration<milliseconds>{milliseconds(1), minutes(1)},
                "Time a whole answer has to arrive."),
          inner("heartbeat", &O::heartbeat,
                Duration<milliseconds>{milliseconds(1), std::chrono::days(7)},
                "An unchanged value is published again after this long."),
          field<E>(
              "backoff", Section<BusBackoff>{&bus_backoff_schema()},
              [](E& e, BusBackoff&& b) {
                e.backoff_initial = b.initial;
                e.backoff_max = b.max;
              },
              [](const E& e) { return BusBackoff{e.backoff_initial, e.backoff_max}; },
              "Retrying an instrument that failed, as a Modbus device's backoff."),
      },
      check_bus_instrument};
  return schema;
}

const Schema<sr::InstrumentOptions>& serial_link_schema() {
  using O = sr::InstrumentOptions;
  static const Schema<O> schema{
      "link",
      {
          field<O>(
              "name", Identifier{64},
              [](O& o, std::string&& v) {
                // The device is named after the link unless `device` says otherwise.
                if (o.name.empty()) o.name = v;
                o.link = std::move(v);
              },
              [](const O& o) { return o.link; }, "Names the link in logs; unique in the gateway.",
              Need::Required),
          field<O>(
              "type", link_type_kind(), [](O&, LinkType&&) {},
              [](const O&) { return LinkType::Serial; }, "The bus and its framing.",
              Need::Required),
          field<O>(
              "device", Optional<Identifier>{{64}, "the link's name"},
              [](O& o, std::optional<std::string>&& v) {
                if (v) o.name = std::move(*v);
              },
              [](const O& o) {
                return o.name == o.link ? std::nullopt : std::optional(o.name);
              },
              "Serial only: the instrument's device name, second level of its topics; unique "
              "in the gateway."),
          field("serial", &O::port, Section<sr::PortOptions>{&port_schema()},
                "The serial port. modbus-rtu and serial only, and required there.",
                Need::Required),
          field("framing", &O::framing, Section<sr::FramingOptions>{&framing_schema()},
                "Serial only: how the byte stream is cut into frames."),
          field("checksum", &O::checksum, Section<sr::ChecksumOptions>{&checksum_schema()},
                "Serial only: the checksum each frame carries."),
          field("patterns", &O::patterns, List<sr::PatternOptions>{&pattern_schema(), 0, 64, "none"},
                "Serial only: the kinds of frame the instrument sends, tried in order."),
          field("requests", &O::requests, List<sr::RequestOptions>{&request_schema(), 0, 64, "none"},
                "Serial only: requests sent on a schedule (request/response mode)."),
          field("commands", &O::commands, List<sr::CommandOptions>{&command_schema(), 0, 64, "none"},
                "Serial only: writable points and the bytes a command sends."),
          field("streaming", &O::streaming, Bool{},
                "Serial only: the instrument talks on its own (at least one of streaming and "
                "requests)."),
          field("stream_timeout", &O::stream_timeout,
                Duration<milliseconds>{milliseconds(1), hours(24)},
                "Serial only, streaming: no good frame for this long makes every point "
                "bad_timeout and reopens the port."),
          field("response_timeout", &O::response_timeout,
                Duration<milliseconds>{milliseconds(1), minutes(1)},
                "Time a whole response has to arrive."),
          field("turnaround_delay", &O::turnaround_delay,
                Duration<milliseconds>{milliseconds(0), seconds(10)},
                "Silence kept after a response before the next request."),
          field("reopen_after_failures", &O::reopen_after_failures,
                Integer<std::uint32_t>{0, 1000000},
                "Serial only: failed requests in a row after which the port is reopened; 0 = "
                "never."),
          field<O>(
              "reconnect", Section<ReconnectOptions>{&reconnect_schema()},
              [](O& o, ReconnectOptions&& r) {
                o.reconnect_initial = r.initial;
                o.reconnect_max = r.max;
              },
              [](const O& o) { return ReconnectOptions{o.reconnect_initial, o.reconnect_max}; },
              "Reopening a lost connection or port."),
          field("heartbeat", &O::heartbeat,
                Duration<milliseconds>{milliseconds(1), std::chrono::days(7)},
                "Serial only: an unchanged value is published again after this long."),
      },
      check_instrument};
  return schema;
}

std::string yaml_path(std::string_view problem_path) {
  std::string out;
  for (const Step& s : file_steps(problem_path)) {
    if (s.key.empty()) {
      out += "[" + std::to_string(s.index) + "]";
    } else {
      out += (out.empty() ? "" : ".") + s.key;
    }
  }
  return out;
}

}  // namespace gw::config
