#include "adapters/serial/bus_instrument.hpp"

#include <algorithm>
#include <array>

#include "adapters/serial/checksum.hpp"
#include "adapters/serial/serial_error.hpp"
#include "core/check.hpp"

namespace gw::adapters::serial {
namespace {

using SteadyClock = std::chrono::steady_clock;

}  // namespace

BusInstrument::BusInstrument(serial::InstrumentOptions options)
    : opts_(std::move(options)), framer_(opts_.framing) {
  for (const PatternOptions& p : opts_.patterns) {
    auto parser = LineParser::compile(p);
    GW_CHECK(parser.has_value());  // validate() has compiled it before
    parsers_.push_back(std::move(*parser));
    std::vector<PublishFilter> fs;
    for (const PointOptions& pt : p.points) {
      fs.emplace_back(PublishFilter::Policy{.deadband = pt.deadband,
                                            .deadband_percent = pt.deadband_percent,
                                            .heartbeat = pt.heartbeat.value_or(opts_.heartbeat),
                                            .min_interval = pt.min_interval});
    }
    filters_.push_back(std::move(fs));
  }
  for (std::size_t c = 0; c < opts_.commands.size(); ++c) {
    commands_.push_back(Command{compile_command(opts_.commands[c], opts_.patterns), c});
  }
}

std::optional<std::size_t> BusInstrument::match(std::string_view frame) {
  for (std::size_t p = 0; p < parsers_.size(); ++p) {
    if (parsers_[p].parse(frame, values_)) return p;
  }
  return std::nullopt;
}

Reading BusInstrument::blank(std::size_t p, std::size_t q, SystemTime ts) const {
  const PointOptions& point = opts_.patterns[p].points[q];
  Reading r;
  r.link = opts_.link;
  r.device = opts_.name;
  r.point = point.name;
  r.ts = ts;
  r.unit = point.unit;
  return r;
}

void BusInstrument::bad_pattern(std::size_t p, std::error_code ec, SystemTime ts,
                                std::vector<Reading>& out) const {
  for (std::size_t q = 0; q < opts_.patterns[p].points.size(); ++q) {
    Reading r = blank(p, q, ts);
    r.quality = quality_of(ec);
    r.error = ec.message();
    out.push_back(std::move(r));
  }
}

// The readings of a frame that matched pattern `p` (its values in values_).
void BusInstrument::data(std::size_t p, SystemTime ts, std::vector<Reading>& out) {
  for (std::size_t q = 0; q < values_.size(); ++q) {
    Reading r = blank(p, q, ts);
    if (values_[q]) {
      r.value = std::move(*values_[q]);
    } else {
      r.quality = quality_of(values_[q].error());
      r.error = values_[q].error().message();
    }
    out.push_back(std::move(r));
  }
}

std::vector<Reading> BusInstrument::all_bad(std::error_code ec, SystemTime ts) const {
  std::vector<Reading> out;
  for (std::size_t p = 0; p < opts_.patterns.size(); ++p) bad_pattern(p, ec, ts, out);
  return out;
}

void BusInstrument::filter(std::vector<Reading>& readings, TimePoint now) {
  std::erase_if(readings, [&](const Reading& r) {
    for (std::size_t p = 0; p < opts_.patterns.size(); ++p) {
      const auto& points = opts_.patterns[p].points;
      for (std::size_t q = 0; q < points.size(); ++q) {
        if (points[q].name == r.point) return !filters_[p][q].offer(r.value, r.quality, now);
      }
    }
    return true;  // not a point of this instrument: impossible, but never published
  });
}

Result<void> BusInstrument::read_frames(modbus::Bus& bus, TimePoint deadline) {
  std::array<char, 512> buf{};
  frames_.clear();
  TimePoint until = deadline;
  if (const auto idle = framer_.idle_deadline()) until = std::min(until, *idle);
  GW_TRY(n, bus.raw_read(buf, until));
  const auto now = SteadyClock::now();
  if (n > 0) framer_.feed(std::string_view(buf.data(), n), now, frames_);
  if (const auto idle = framer_.idle_deadline(); idle && now >= *idle) framer_.on_idle(frames_);
  return {};
}

BusInstrument::Outcome BusInstrument::request(std::size_t i, modbus::Bus& bus) {
  const RequestOptions& req = opts_.requests[i];
  Outcome out;
  // Bytes of an earlier transaction are not part of this answer (the caller drained the line).
  framer_.reset();
  std::vector<bool> waiting(opts_.patterns.size(), req.expect.empty());
  for (const std::string& name : req.expect) {
    for (std::size_t p = 0; p < opts_.patterns.size(); ++p) {
      if (opts_.patterns[p].name == name) waiting[p] = true;
    }
  }
  const auto fail_with = [&](std::error_code ec) {
    const auto ts = std::chrono::system_clock::now();
    for (std::size_t p = 0; p < waiting.size(); ++p) {
      if (waiting[p]) bad_pattern(p, ec, ts, out.readings);
    }
    out.error = ec;
    return out;
  };
  const auto deadline = SteadyClock::now() + req.timeout.value_or(opts_.response_timeout);
  if (auto sent = bus.raw_write(req.send, deadline); !sent) return fail_with(sent.error());
  for (;;) {
    if (auto got = read_frames(bus, deadline); !got) return fail_with(got.error());
    const auto ts = std::chrono::system_clock::now();
    for (const std::string& frame : frames_) {
      if (auto checked = verify_checksum(opts_.checksum, frame); !checked) {
        // The frame may still tell which sentence it was: that pattern's points go bad.
        const auto p = match(frame);
        if (p) bad_pattern(*p, checked.error(), ts, out.readings);
        if (!p || waiting[*p]) return fail_with(checked.error());
        continue;
      }
      const auto p = match(frame);
      if (!p) return fail_with(make_error_code(SerialErrc::NoMatch));
      data(*p, ts, out.readings);
      waiting[*p] = false;
      // Without `expect`, any one pattern answers the request.
      if (req.expect.empty() ||
          std::none_of(waiting.begin(), waiting.end(), [](bool w) { return w; })) {
        return out;
      }
    }
    if (SteadyClock::now() >= deadline) return fail_with(make_error_code(SerialErrc::Timeout));
  }
}

Result<Value> BusInstrument::command(const modbus::WriteCommand& command, modbus::Bus& bus,
                                     std::vector<Reading>& readings) {
  const auto found = std::find_if(commands_.begin(), commands_.end(), [&](const Command& c) {
    return opts_.commands[c.options].point == command.point;
  });
  if (command.device != opts_.name || found == commands_.end()) {
    return fail(SerialErrc::UnknownPoint);
  }
  Command& cmd = *found;
  const CommandOptions& co = opts_.commands[cmd.options];
  GW_TRY(value, command_value(co, command.value));
  GW_TRY(bytes, cmd.send.render(value, opts_.checksum));
  framer_.reset();
  const auto deadline = SteadyClock::now() + co.timeout.value_or(opts_.response_timeout);
  GW_TRY_VOID(bus.raw_write(bytes, deadline));
  for (;;) {
    GW_TRY_VOID(read_frames(bus, deadline));
    const auto ts = std::chrono::system_clock::now();
    for (const std::string& frame : frames_) {
      GW_TRY_VOID(verify_checksum(opts_.checksum, frame));
      if (cmd.reply_error && cmd.reply_error->search(frame)) {
        return fail(SerialErrc::CommandRejected);
      }
      if (cmd.reply.parse(frame, values_)) {
        Value confirmed = value;
        if (!values_.empty()) {
          GW_TRY(v, std::move(values_.front()));
          confirmed = std::move(v);
        }
        if (cmd.read_point) {
          Reading r = blank(cmd.read_point->first, cmd.read_point->second, ts);
          r.value = confirmed;
          readings.push_back(std::move(r));
        }
        return confirmed;
      }
      const auto p = match(frame);
      if (!p) return fail(SerialErrc::CommandRejected);
      data(*p, ts, readings);
    }
    if (SteadyClock::now() >= deadline) return fail(SerialErrc::Timeout);
  }
}

}  // namespace gw::adapters::serial
