#include "adapters/serial/options_validation.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "adapters/serial/checksum.hpp"
#include "adapters/serial/command_template.hpp"
#include "adapters/serial/regex.hpp"
#include "adapters/serial/serial_port.hpp"

namespace gw::adapters::serial {
namespace {

class Checker {
 public:
  void error(std::string path, std::string message) {
    problems_.push_back(ConfigProblem{std::move(path), std::move(message)});
  }
  void positive(const std::string& path, std::chrono::milliseconds d) {
    if (d.count() <= 0) error(path, "must be more than 0 ms");
  }
  std::vector<ConfigProblem> take() { return std::move(problems_); }

 private:
  std::vector<ConfigProblem> problems_;
};

void check_port(const PortOptions& p, Checker& c) {
  if (p.device.empty()) c.error("port.device", "required");
  if (!SerialPort::baud_supported(p.baud)) {
    c.error("port.baud", fmt::format("{} is not a standard rate (1200, 9600, 19200, 115200, ...)",
                                     p.baud));
  }
  if (p.data_bits < 5 || p.data_bits > 8) c.error("port.data_bits", "must be 5..8");
  if (p.stop_bits < 1 || p.stop_bits > 2) c.error("port.stop_bits", "must be 1 or 2");
}

void check_framing(const FramingOptions& f, Checker& c) {
  if (f.max_frame < 1 || f.max_frame > 65535) c.error("framing.max_frame", "must be 1..65535");
  if (f.silence.count() < 0) c.error("framing.silence", "must not be negative");
  switch (f.kind) {
    case FramingKind::Delimiter:
      if (f.delimiter.empty() || f.delimiter.size() > 8) {
        c.error("framing.delimiter", "must be 1..8 bytes");
      }
      break;
    case FramingKind::StartEnd:
      if (!f.start) {
        c.error("framing.start", "required for start/end framing");
      } else if (*f.start == f.end) {
        c.error("framing.end", "must differ from the start byte");
      }
      if (std::size_t{2} + f.trailer > f.max_frame) {
        c.error("framing.max_frame", "smaller than start + end + trailer");
      }
      break;
    case FramingKind::FixedLength:
      if (f.length < 1 || f.length > f.max_frame) c.error("framing.length", "must be 1..max_frame");
      break;
    case FramingKind::LengthByte:
      if (f.start && f.length_offset == 0) {
        c.error("framing.length_offset", "must be at least 1 when a start byte leads the frame");
      }
      if (std::size_t{f.length_offset} + 1 + f.trailer > f.max_frame) {
        c.error("framing.max_frame", "smaller than the header, length byte and trailer");
      }
      if (f.length_unit < 1) c.error("framing.length_unit", "must be 1..255");
      break;
    case FramingKind::Silence:
      if (f.silence.count() <= 0) c.error("framing.silence", "required (> 0) for silence framing");
      break;
  }
}

void check_checksum(const InstrumentOptions& o, Checker& c) {
  const ChecksumOptions& k = o.checksum;
  if (k.kind == ChecksumKind::None) return;
  if (k.kind == ChecksumKind::Nmea) {
    ChecksumOptions plain;
    plain.kind = ChecksumKind::Nmea;
    if (!(k == plain)) {
      c.error("checksum", "nmea has a fixed layout ('$' ... '*' hh): set no other checksum keys");
    }
    return;
  }
  if (k.big_endian && (checksum_width(k.kind) != 2 || k.encoding != ChecksumEncoding::Binary)) {
    c.error("checksum.big_endian", "applies to binary CRC-16 checksums only");
  }
  const std::size_t fixed = k.skip_leading + k.separator.size() + checksum_field_size(k) + k.trailing;
  const std::size_t longest =
      o.framing.kind == FramingKind::FixedLength ? o.framing.length : o.framing.max_frame;
  if (fixed > longest) c.error("checksum", "the checksum layout is longer than the longest frame");
}

bool valid_words(const std::vector<std::string>& words) {
  return !words.empty() &&
         std::none_of(words.begin(), words.end(), [](const std::string& w) { return w.empty(); });
}

void check_point(const PointOptions& p, const std::string& at, const Regex& re,
                 std::set<std::string>& names, Checker& c) {
  if (p.name.empty()) c.error(at + ".name", "required");
  if (!p.name.empty() && !names.insert(p.name).second) {
    c.error(at + ".name", fmt::format("'{}' is used by another point of this instrument", p.name));
  }
  const std::string& group = p.capture.empty() ? p.name : p.capture;
  if (!group.empty() && !re.group_number(group)) {
    c.error(at + (p.capture.empty() ? ".name" : ".capture"),
            fmt::format("the pattern has no (single) named group '{}'", group));
  }
  if (p.type == ValueType::Integer && p.base != 10 && p.base != 16) {
    c.error(at + ".base", "must be 10 or 16");
  }
  if (p.decimals && *p.decimals > 15) c.error(at + ".decimals", "must be 0..15");
  if (!std::isfinite(p.scale) || p.scale == 0.0) c.error(at + ".scale", "must be a non-zero number");
  if (!std::isfinite(p.offset)) c.error(at + ".offset", "must be a number");
  if (!(p.deadband >= 0.0)) c.error(at + ".deadband", "must be >= 0");
  if (p.heartbeat && p.heartbeat->count() <= 0) c.error(at + ".heartbeat", "must be more than 0 ms");
  if (p.min_interval.count() < 0) c.error(at + ".min_interval", "must not be negative");
  if (p.type == ValueType::Bool) {
    if (!valid_words(p.true_values)) c.error(at + ".true_values", "needs at least one non-empty word");
    if (!valid_words(p.false_values)) c.error(at + ".false_values", "needs at least one non-empty word");
    for (const auto& w : p.true_values) {
      if (std::find(p.false_values.begin(), p.false_values.end(), w) != p.false_values.end()) {
        c.error(at + ".false_values", fmt::format("'{}' is also a true value", w));
      }
    }
  }
}

void check_regex(const std::string& regex, const std::string& at, Checker& c) {
  std::string why;
  if (regex.empty()) {
    c.error(at, "required");
  } else if (!Regex::compile(regex, &why)) {
    c.error(at, "does not compile: " + why);
  }
}

}  // namespace

std::vector<ConfigProblem> validate(const InstrumentOptions& o) {
  Checker c;
  if (o.link.empty()) c.error("link", "required");
  if (o.name.empty()) c.error("name", "required");
  check_port(o.port, c);
  check_framing(o.framing, c);
  check_checksum(o, c);

  std::set<std::string> pattern_names;
  std::set<std::string> point_names;
  for (std::size_t i = 0; i < o.patterns.size(); ++i) {
    const PatternOptions& pat = o.patterns[i];
    const std::string at = fmt::format("patterns[{}]", i);
    if (pat.name.empty()) c.error(at + ".name", "required");
    if (!pat.name.empty() && !pattern_names.insert(pat.name).second) {
      c.error(at + ".name", fmt::format("'{}' names another pattern too", pat.name));
    }
    if (pat.points.empty()) c.error(at + ".points", "needs at least one point");
    std::string why;
    auto re = pat.regex.empty() ? Result<Regex>(fail(std::errc::invalid_argument))
                                : Regex::compile(pat.regex, &why);
    if (!re) {
      c.error(at + ".regex", pat.regex.empty() ? "required" : "does not compile: " + why);
      continue;
    }
    for (std::size_t j = 0; j < pat.points.size(); ++j) {
      check_point(pat.points[j], fmt::format("{}.points[{}]", at, j), *re, point_names, c);
    }
  }

  for (std::size_t i = 0; i < o.requests.size(); ++i) {
    const RequestOptions& r = o.requests[i];
    const std::string at = fmt::format("requests[{}]", i);
    if (r.send.empty()) c.error(at + ".send", "required");
    c.positive(at + ".interval", r.interval);
    if (r.timeout) c.positive(at + ".timeout", *r.timeout);
    for (std::size_t j = 0; j < r.expect.size(); ++j) {
      if (pattern_names.count(r.expect[j]) == 0) {
        c.error(fmt::format("{}.expect[{}]", at, j),
                fmt::format("no pattern is named '{}'", r.expect[j]));
      }
    }
  }

  std::set<std::string> command_points;
  for (std::size_t i = 0; i < o.commands.size(); ++i) {
    const CommandOptions& cmd = o.commands[i];
    const std::string at = fmt::format("commands[{}]", i);
    if (cmd.point.empty()) c.error(at + ".point", "required");
    if (!cmd.point.empty() && !command_points.insert(cmd.point).second) {
      c.error(at + ".point", fmt::format("'{}' has another command too", cmd.point));
    }
    std::string why;
    if (cmd.send.empty()) {
      c.error(at + ".send", "required");
    } else if (auto t = CommandTemplate::parse(cmd.send, &why); !t) {
      c.error(at + ".send", why);
    } else if (t->has_checksum() && o.checksum.kind == ChecksumKind::None) {
      c.error(at + ".send", "{checksum} needs checksum.kind (the instrument has none)");
    }
    check_regex(cmd.reply, at + ".reply", c);
    if (!cmd.reply_error.empty()) check_regex(cmd.reply_error, at + ".reply_error", c);
    if (cmd.timeout) c.positive(at + ".timeout", *cmd.timeout);
    if (!std::isfinite(cmd.scale) || cmd.scale == 0.0) c.error(at + ".scale", "must be a non-zero number");
    if (!std::isfinite(cmd.offset)) c.error(at + ".offset", "must be a number");
    if ((cmd.min || cmd.max) && (cmd.type == ValueType::String || cmd.type == ValueType::Bool)) {
      c.error(at + ".min", "min/max apply to number and integer commands only");
    }
    if (cmd.min && cmd.max && *cmd.min > *cmd.max) c.error(at + ".max", "must be >= min");
  }

  if (!o.streaming && o.requests.empty() && o.commands.empty()) {
    c.error("mode", "an instrument needs streaming, requests or commands");
  }
  if (o.patterns.empty() && (o.streaming || !o.requests.empty())) {
    c.error("patterns", "needs at least one pattern to read values");
  }
  if (o.streaming) c.positive("stream_timeout", o.stream_timeout);
  c.positive("response_timeout", o.response_timeout);
  if (o.turnaround_delay.count() < 0) c.error("turnaround_delay", "must not be negative");
  c.positive("reconnect_initial", o.reconnect_initial);
  if (o.reconnect_max < o.reconnect_initial) c.error("reconnect_max", "must be >= reconnect_initial");
  c.positive("heartbeat", o.heartbeat);
  return c.take();
}

}  // namespace gw::adapters::serial
