#include "adapters/serial/instrument_link.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "adapters/backoff.hpp"
#include "adapters/publish_filter.hpp"
#include "adapters/serial/checksum.hpp"
#include "adapters/serial/command_template.hpp"
#include "adapters/serial/compiled_command.hpp"
#include "adapters/serial/framer.hpp"
#include "adapters/serial/line_parser.hpp"
#include "adapters/serial/regex.hpp"
#include "adapters/serial/serial_error.hpp"
#include "adapters/serial/serial_port.hpp"
#include "core/check.hpp"
#include "core/log.hpp"

namespace gw::adapters::serial {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using SystemTime = std::chrono::system_clock::time_point;

constexpr TimePoint kNever = TimePoint::max();

// At most this much of a frame goes into a log line (no payloads above debug anyway).
constexpr std::size_t kLogFrameBytes = 64;

std::string printable(std::string_view frame) {
  std::string out;
  for (const char c : frame.substr(0, kLogFrameBytes)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      out.push_back(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  if (frame.size() > kLogFrameBytes) out += "...";
  return out;
}

// Waits until `fd` is readable or `deadline` passes.
void wait_readable(int fd, TimePoint deadline) {
  const auto left = deadline - SteadyClock::now();
  if (left <= SteadyClock::duration::zero()) return;
  const auto ms = std::min<std::int64_t>(
      std::chrono::ceil<std::chrono::milliseconds>(left).count(), 60'000);
  pollfd p{fd, POLLIN, 0};
  (void)::poll(&p, 1, static_cast<int>(ms));
}

}  // namespace

// The link thread's state: everything here is touched by the link thread only.
struct InstrumentLink::Impl {
  // A command, compiled: its template, its reply patterns, and the read point it also updates.
  struct Command : CompiledCommand {
    const CommandOptions* options = nullptr;
  };

  // The request or command on the line, waiting for its answer.
  struct Transaction {
    std::optional<std::size_t> request;  // index into opts.requests
    std::optional<PendingWrite> write;
    std::size_t command = 0;             // index into commands, for a write
    TimePoint deadline;
    std::vector<bool> waiting;           // per pattern: still expected (requests)
  };

  Impl(InstrumentLink& l, TimePoint start)
      : link(l),
        opts(l.options_),
        log(core::make_logger("serial")),
        framer(opts.framing),
        reconnect(opts.reconnect_initial, opts.reconnect_max, /*jitter=*/true,
                  static_cast<std::uint32_t>(std::hash<std::string>{}(opts.link))) {
    for (const PatternOptions& p : opts.patterns) {
      auto parser = LineParser::compile(p);
      GW_CHECK(parser.has_value());  // validate() has compiled it before
      parsers.push_back(std::move(*parser));
      std::vector<PublishFilter> fs;
      for (const PointOptions& pt : p.points) {
        fs.emplace_back(PublishFilter::Policy{.deadband = pt.deadband,
                                              .deadband_percent = pt.deadband_percent,
                                              .heartbeat = pt.heartbeat.value_or(opts.heartbeat),
                                              .min_interval = pt.min_interval});
      }
      filters.push_back(std::move(fs));
    }
    for (const CommandOptions& c : opts.commands) {
      commands.push_back(Command{compile_command(c, opts.patterns), &c});
    }
    request_due.assign(opts.requests.size(), start);
  }

  // ---- readings ----------------------------------------------------------------------------

  Reading blank(std::size_t p, std::size_t q, SystemTime ts) const {
    const PointOptions& point = opts.patterns[p].points[q];
    Reading r;
    r.link = opts.link;
    r.device = opts.name;
    r.point = point.name;
    r.ts = ts;
    r.unit = point.unit;
    return r;
  }

  Reading bad(std::size_t p, std::size_t q, std::error_code ec, SystemTime ts) const {
    Reading r = blank(p, q, ts);
    r.quality = quality_of(ec);
    r.error = ec.message();
    return r;
  }

  // Every point of pattern `p` goes bad with `ec`.
  void bad_pattern(std::size_t p, std::error_code ec, SystemTime ts, std::vector<Reading>& out) {
    for (std::size_t q = 0; q < opts.patterns[p].points.size(); ++q) out.push_back(bad(p, q, ec, ts));
  }

  // Readings of pattern `p` through their points' filters to the sink.
  void emit(std::size_t p, std::vector<Reading> readings) {
    const auto now = SteadyClock::now();
    const auto& points = opts.patterns[p].points;
    std::erase_if(readings, [&](const Reading& r) {
      const auto it = std::find_if(points.begin(), points.end(),
                                   [&](const PointOptions& o) { return o.name == r.point; });
      return !filters[p][static_cast<std::size_t>(it - points.begin())].offer(r.value, r.quality,
                                                                              now);
    });
    if (readings.empty()) return;
    link.counters_.readings += readings.size();
    link.sink_.on_readings(std::move(readings));
  }

  // Every point of every pattern goes bad with `ec` (selected patterns when `only` is given).
  void bad_all(std::error_code ec, const std::vector<bool>* only = nullptr) {
    const auto ts = std::chrono::system_clock::now();
    for (std::size_t p = 0; p < opts.patterns.size(); ++p) {
      if (only != nullptr && !(*only)[p]) continue;
      std::vector<Reading> out;
      bad_pattern(p, ec, ts, out);
      emit(p, std::move(out));
    }
  }

  void set_status(bool up, std::string error) {
    if (online == up && (up || last_error == error)) return;
    if (up) {
      log->info("serial/{}: {} online", opts.link, opts.name);
    } else {
      log->warn("serial/{}: {} offline: {}", opts.link, opts.name, error);
    }
    online = up;
    last_error = error;
    link.sink_.on_status(DeviceStatus{.link = opts.link,
                                      .device = opts.name,
                                      .online = up,
                                      .error = std::move(error),
                                      .ts = std::chrono::system_clock::now()});
  }

  // ---- frames ------------------------------------------------------------------------------

  // The first pattern that matches `frame`, its values in `values`.
  std::optional<std::size_t> match(std::string_view frame) {
    for (std::size_t p = 0; p < parsers.size(); ++p) {
      if (parsers[p].parse(frame, values)) return p;
    }
    return std::nullopt;
  }

  void on_frame(const std::string& frame, SystemTime ts) {
    ++link.counters_.frames;
    const auto checked = verify_checksum(opts.checksum, frame);
    if (!checked) {
      ++link.counters_.bad_checksums;
      log->debug("serial/{}: bad checksum ({}): {}", opts.link, checked.error().message(),
                 printable(frame));
      if (inflight && inflight->write) {
        finish_write(fail(checked.error()));
        return;
      }
      // The frame may still tell which sentence it was: that pattern's points go bad. One that
      // cannot be identified leaves the points alone (silence catches a device sending only that).
      const auto p = match(frame);
      if (p) {
        std::vector<Reading> out;
        bad_pattern(*p, checked.error(), ts, out);
        emit(*p, std::move(out));
      }
      if (inflight && inflight->request && (!p || inflight->waiting[*p])) {
        fail_request(checked.error());
      }
      return;
    }
    if (inflight && inflight->write && on_reply(frame)) return;

    const auto p = match(frame);
    if (!p) {
      ++link.counters_.unmatched;
      log->debug("serial/{}: frame matches no pattern: {}", opts.link, printable(frame));
      if (inflight && inflight->write) {
        finish_write(fail(SerialErrc::CommandRejected));
      } else if (inflight && inflight->request) {
        fail_request(make_error_code(SerialErrc::NoMatch));
      }
      return;
    }
    good_frame();
    std::vector<Reading> out;
    for (std::size_t q = 0; q < values.size(); ++q) {
      if (values[q]) {
        Reading r = blank(*p, q, ts);
        r.value = std::move(*values[q]);
        out.push_back(std::move(r));
      } else {
        ++link.counters_.decode_errors;
        out.push_back(bad(*p, q, values[q].error(), ts));
      }
    }
    emit(*p, std::move(out));
    if (inflight && inflight->request && inflight->waiting[*p]) {
      inflight->waiting[*p] = false;
      if (std::none_of(inflight->waiting.begin(), inflight->waiting.end(), [](bool w) { return w; }) ||
          opts.requests[*inflight->request].expect.empty()) {
        end_transaction();
      }
    }
  }

  // A good frame while a command waits: true when it was the command's answer.
  bool on_reply(const std::string& frame) {
    Command& cmd = commands[inflight->command];
    if (cmd.reply_error && cmd.reply_error->search(frame)) {
      log->warn("serial/{}: {} refused command {}: {}", opts.link, opts.name, cmd.options->point,
                printable(frame));
      good_frame();
      finish_write(fail(SerialErrc::CommandRejected));
      return true;
    }
    if (!cmd.reply.parse(frame, values)) return false;
    good_frame();
    if (values.empty()) {
      finish_write(inflight->write->command.value);
      return true;
    }
    finish_write(std::move(values.front()));
    return true;
  }

  void good_frame() {
    last_good = SteadyClock::now();
    failures = 0;
    reconnect.reset();
    set_status(true, {});
  }

  // ---- transactions ------------------------------------------------------------------------

  void end_transaction() {
    inflight.reset();
    quiet_until = SteadyClock::now() + opts.turnaround_delay;
  }

  void fail_request(std::error_code ec) {
    const std::vector<bool> waiting = inflight->waiting;
    end_transaction();
    if (ec == SerialErrc::Timeout) ++link.counters_.timeouts;
    bad_all(ec, &waiting);
    set_status(false, ec.message());
    ++failures;
    if (opts.reopen_after_failures > 0 && failures >= opts.reopen_after_failures) {
      close_and_retry(ec, /*mark_bad=*/false);
    }
  }

  // Ends the command in flight with `result` (the value when it is one, already converted).
  void finish_write(Result<Value> result) {
    PendingWrite w = std::move(*inflight->write);
    const Command& cmd = commands[inflight->command];
    end_transaction();
    complete(std::move(w), cmd, std::move(result));
  }

  void complete(PendingWrite w, const Command& cmd, Result<Value> result) {
    ++link.counters_.writes;
    if (!result) {
      ++link.counters_.write_errors;
      log->warn("serial/{}: command {}/{} failed: {}", opts.link, w.command.device,
                w.command.point, result.error().message());
    } else {
      log->info("serial/{}: command {}/{} done", opts.link, w.command.device, w.command.point);
      if (cmd.read_point) {
        // The confirmed value is the point's newest reading.
        Reading r = blank(cmd.read_point->first, cmd.read_point->second,
                          std::chrono::system_clock::now());
        r.value = *result;
        emit(cmd.read_point->first, {std::move(r)});
      }
    }
    w.done(std::move(result));
  }

  void start_request(std::size_t i, TimePoint now) {
    const RequestOptions& req = opts.requests[i];
    // The next one is due an interval after this one was due; a late one does not bunch up.
    request_due[i] += req.interval;
    if (request_due[i] <= now) request_due[i] = now + req.interval;
    const auto timeout = req.timeout.value_or(opts.response_timeout);
    Transaction t{.request = i, .deadline = now + timeout};
    t.waiting.assign(opts.patterns.size(), req.expect.empty());
    for (const std::string& name : req.expect) {
      for (std::size_t p = 0; p < opts.patterns.size(); ++p) {
        if (opts.patterns[p].name == name) t.waiting[p] = true;
      }
    }
    inflight = std::move(t);
    ++link.counters_.requests;
    if (auto ok = port.write(req.send, now + timeout); !ok) port_failed(ok.error());
  }

  void start_write(PendingWrite w, TimePoint now) {
    const auto found = std::find_if(commands.begin(), commands.end(), [&](const Command& c) {
      return c.options->point == w.command.point;
    });
    if (w.command.device != opts.name || found == commands.end()) {
      ++link.counters_.writes;
      ++link.counters_.write_errors;
      w.done(fail(SerialErrc::UnknownPoint));
      return;
    }
    const Command& cmd = *found;
    auto value = command_value(*cmd.options, w.command.value);
    Result<std::string> bytes = value ? cmd.send.render(*value, opts.checksum) : Result<std::string>(fail(value.error()));
    if (!bytes) {
      complete(std::move(w), cmd, fail(bytes.error()));
      return;
    }
    w.command.value = std::move(*value);
    const auto timeout = cmd.options->timeout.value_or(opts.response_timeout);
    inflight = Transaction{.write = std::move(w),
                           .command = static_cast<std::size_t>(found - commands.begin()),
                           .deadline = now + timeout};
    if (auto ok = port.write(*bytes, now + timeout); !ok) port_failed(ok.error());
  }

  void on_deadline(TimePoint now) {
    if (inflight && now >= inflight->deadline) {
      if (inflight->write) {
        ++link.counters_.timeouts;
        finish_write(fail(SerialErrc::Timeout));
      } else {
        fail_request(make_error_code(SerialErrc::Timeout));
      }
    }
    if (port.is_open() && opts.streaming && now >= last_good + opts.stream_timeout) {
      const auto ec = make_error_code(SerialErrc::Silent);
      bad_all(ec);
      set_status(false, ec.message());
      close_and_retry(ec, /*mark_bad=*/false);
    }
  }

  // ---- the port ----------------------------------------------------------------------------

  // A read or write failed: the device is gone or the line is broken.
  void port_failed(std::error_code ec) {
    if (is_connection_error(ec)) {
      close_and_retry(ec, /*mark_bad=*/true);
      return;
    }
    // A write that could not finish (flow control holding it back): the answer will not come.
    if (inflight && inflight->write) {
      finish_write(fail(ec));
    } else if (inflight) {
      fail_request(ec);
    }
  }

  void close_and_retry(std::error_code ec, bool mark_bad) {
    if (port.is_open()) ++link.counters_.reopens;
    port.close();
    sync_framer_stats();
    framer.reset();
    if (inflight && inflight->write) finish_write(fail(ec));
    inflight.reset();
    const auto delay = reconnect.next();
    reopen_at = SteadyClock::now() + delay;
    if (reconnect.failures() == 1) {
      log->warn("serial/{}: {} lost ({}); reopening with backoff", opts.link, opts.port.device,
                ec.message());
    }
    if (mark_bad) {
      bad_all(ec);
      set_status(false, ec.message());
    }
  }

  // Opens the port when it is due. False while it is closed.
  bool ensure_open() {
    if (port.is_open()) return true;
    if (SteadyClock::now() < reopen_at) return false;
    auto opened = SerialPort::open(opts.port);
    if (!opened) {
      close_and_retry(opened.error(), /*mark_bad=*/true);
      return false;
    }
    port = std::move(*opened);
    ++link.counters_.opens;
    log->info("serial/{}: opened {}", opts.link, opts.port.device);
    const auto now = SteadyClock::now();
    last_good = now;  // the silence timer starts with the port
    quiet_until = now;
    for (auto& due : request_due) due = std::min(due, now);
    return true;
  }

  void sync_framer_stats() {
    const auto& s = framer.stats();
    link.counters_.oversize = s.oversize;
    link.counters_.discarded_bytes = s.discarded_bytes;
  }

  // The earliest time something is due while the port is open.
  TimePoint next_deadline() const {
    TimePoint d = kNever;
    if (inflight) {
      d = inflight->deadline;
    } else {
      for (const TimePoint due : request_due) d = std::min(d, std::max(due, quiet_until));
      // A command queued during the turnaround goes out when it ends.
      if (quiet_until > SteadyClock::now()) d = std::min(d, quiet_until);
    }
    if (opts.streaming) d = std::min(d, last_good + opts.stream_timeout);
    if (const auto idle = framer.idle_deadline()) d = std::min(d, *idle);
    return d;
  }

  InstrumentLink& link;
  const InstrumentOptions& opts;
  std::shared_ptr<spdlog::logger> log;
  Framer framer;
  SerialPort port;
  Backoff reconnect;
  TimePoint reopen_at{};
  TimePoint last_good{};
  TimePoint quiet_until{};
  std::uint32_t failures = 0;
  std::vector<LineParser> parsers;
  std::vector<std::vector<PublishFilter>> filters;
  std::vector<Command> commands;
  std::vector<TimePoint> request_due;
  std::optional<Transaction> inflight;
  std::optional<bool> online;
  std::string last_error;
  std::vector<Result<Value>> values;  // reused per frame
  std::vector<std::string> frames;    // reused per read
};

InstrumentLink::InstrumentLink(InstrumentOptions options, LinkSink& sink)
    : options_(std::move(options)), sink_(sink) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  GW_CHECK(wake_fd_ >= 0);  // only fails when the process is out of file descriptors or memory
}

InstrumentLink::~InstrumentLink() {
  stop();
  ::close(wake_fd_);
}

void InstrumentLink::start() {
  thread_ = std::jthread([this](std::stop_token st) { run(st); });
}

void InstrumentLink::wake() {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the thread will wake either way.
  (void)!::write(wake_fd_, &one, sizeof one);
}

void InstrumentLink::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) {
    thread_.request_stop();
    wake();
    thread_.join();
  }
  std::deque<PendingWrite> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(writes_);
  }
  for (auto& w : left) w.done(fail(SerialErrc::Stopped));
}

Result<void> InstrumentLink::write(WriteCommand command, WriteDone done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return fail(SerialErrc::Stopped);
    if (writes_.size() >= kMaxPendingWrites) return fail(SerialErrc::QueueFull);
    writes_.push_back(PendingWrite{std::move(command), std::move(done)});
  }
  wake();
  return {};
}

InstrumentStats InstrumentLink::stats() const {
  const auto& c = counters_;
  return InstrumentStats{.opens = c.opens,
                         .reopens = c.reopens,
                         .requests = c.requests,
                         .timeouts = c.timeouts,
                         .frames = c.frames,
                         .bad_checksums = c.bad_checksums,
                         .unmatched = c.unmatched,
                         .oversize = c.oversize,
                         .discarded_bytes = c.discarded_bytes,
                         .decode_errors = c.decode_errors,
                         .writes = c.writes,
                         .write_errors = c.write_errors,
                         .readings = c.readings};
}

void InstrumentLink::run(std::stop_token stop) {
  Impl s(*this, SteadyClock::now());
  std::array<char, 512> buf{};
  const auto drain_wake = [&] {
    std::uint64_t n = 0;
    (void)!::read(wake_fd_, &n, sizeof n);
  };
  const auto take_write = [&]() -> std::optional<PendingWrite> {
    std::lock_guard lock(mutex_);
    if (writes_.empty()) return std::nullopt;
    PendingWrite w = std::move(writes_.front());
    writes_.pop_front();
    return w;
  };

  while (!stop.stop_requested()) {
    // Drained before the queue is looked at: a write queued after this wakes the poll below.
    drain_wake();
    if (!s.ensure_open()) {
      // Commands cannot wait for a device that is gone: they are answered at once.
      while (auto w = take_write()) {
        ++counters_.writes;
        ++counters_.write_errors;
        w->done(fail(SerialErrc::NotConnected));
      }
      wait_readable(wake_fd_, s.reopen_at);
      continue;
    }
    auto now = SteadyClock::now();
    if (!s.inflight && now >= s.quiet_until) {
      if (auto w = take_write()) {
        s.start_write(std::move(*w), now);
        continue;
      }
      for (std::size_t i = 0; i < s.request_due.size(); ++i) {
        if (s.request_due[i] <= now) {
          s.start_request(i, now);
          break;
        }
      }
      if (!s.port.is_open()) continue;
    }
    auto n = s.port.read(buf, s.next_deadline(), wake_fd_);
    now = SteadyClock::now();
    const auto ts = std::chrono::system_clock::now();
    if (!n) {
      s.port_failed(n.error());
      continue;
    }
    s.frames.clear();
    if (*n > 0) s.framer.feed(std::string_view(buf.data(), *n), now, s.frames);
    if (const auto idle = s.framer.idle_deadline(); idle && now >= *idle) s.framer.on_idle(s.frames);
    for (const std::string& f : s.frames) {
      s.on_frame(f, ts);
      if (!s.port.is_open()) break;
    }
    s.sync_framer_stats();
    if (s.port.is_open()) s.on_deadline(now);
  }
  if (s.inflight && s.inflight->write) s.finish_write(fail(SerialErrc::Stopped));
  s.port.close();
}

}  // namespace gw::adapters::serial
