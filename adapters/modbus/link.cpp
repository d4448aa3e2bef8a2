#include "adapters/modbus/link.hpp"

#include <algorithm>
#include <string>

#include <modbus/modbus.h>

#include "adapters/modbus/learned_splits.hpp"
#include "adapters/modbus/modbus_error.hpp"
#include "adapters/modbus/poll_schedule.hpp"
#include "adapters/modbus/value_codec.hpp"
#include "adapters/publish_filter.hpp"
#include "adapters/serial/bus_instrument.hpp"
#include "adapters/serial/serial_error.hpp"
#include "core/log.hpp"

namespace gw::adapters::modbus {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::microseconds;

class LinkCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "modbus.link"; }
  std::string message(int value) const override {
    switch (static_cast<LinkErrc>(value)) {
      case LinkErrc::UnknownPoint: return "no such device or point on this link";
      case LinkErrc::NotWritable: return "the point is not writable";
      case LinkErrc::RateLimited: return "too many writes to this point (at most one per 100 ms)";
      case LinkErrc::QueueFull: return "too many writes waiting for this link";
      case LinkErrc::Stopped: return "the link is stopping";
      case LinkErrc::ReadBackMismatch: return "the device holds a different value after the write";
      case LinkErrc::NotConnected: return "the link is not connected";
    }
    return "unknown link error";
  }
};

// MQTT topics and JSON speak in engineering values; a bool command may come as 0/1.
std::optional<bool> as_bool(const Value& v) {
  if (const bool* b = std::get_if<bool>(&v)) return *b;
  if (const auto* i = std::get_if<std::int64_t>(&v); i && (*i == 0 || *i == 1)) return *i == 1;
  if (const auto* u = std::get_if<std::uint64_t>(&v); u && *u <= 1) return *u == 1;
  return std::nullopt;
}

// Exceptions that say "this request is wrong for this device", not "the device is unwell": the
// device answered, so it stays online and only the points of that request go bad.
bool is_request_exception(std::uint8_t code) {
  return code == MODBUS_EXCEPTION_ILLEGAL_FUNCTION ||
         code == MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS ||
         code == MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
}

WriteFunction write_function(const DeviceOptions& dev) {
  return dev.write_multiple ? WriteFunction::Multiple : WriteFunction::Single;
}

}  // namespace

std::error_code make_error_code(LinkErrc e) {
  static const LinkCategory category;
  return {static_cast<int>(e), category};
}

// The link thread's state: everything here is touched by the link thread only.
struct Link::Impl {
  Impl(Link& l, SteadyClock::time_point start)
      : link(l),
        opts(l.options_),
        log(core::make_logger("modbus")),
        schedule(opts, start),
        reconnect(opts.reconnect_initial, opts.reconnect_max, /*jitter=*/true,
                  static_cast<std::uint32_t>(std::hash<std::string>{}(opts.name))) {
    for (const DeviceOptions& dev : opts.devices) {
      std::vector<PublishFilter> fs;
      for (const PointOptions& p : dev.points) {
        fs.emplace_back(PublishFilter::Policy{.deadband = p.deadband,
                                              .deadband_percent = p.deadband_percent,
                                              .heartbeat = p.heartbeat.value_or(dev.heartbeat),
                                              .min_interval = p.min_interval});
      }
      filters.push_back(std::move(fs));
      last_write.emplace_back(dev.points.size(), SteadyClock::time_point{});
    }
    for (const BusInstrumentOptions& bi : opts.instruments) {
      serial::InstrumentOptions o = bi.instrument;
      o.link = opts.name;  // its readings and status are the bus link's
      instruments.emplace_back(std::move(o));
    }
    online.assign(device_count(), std::nullopt);
    const microseconds ch = link.bus_->character_time();
    if (ch.count() > 0) {
      // Modbus over Serial Line V1.02 §2.5.1.1: 3.5 character times of silence between
      // frames, fixed at 1.75 ms above 19200 baud.
      gap = opts.serial.baud > 19200 ? microseconds{1750} : ch * 7 / 2;
    }
    gap += opts.turnaround_delay;
    load_learned();
  }

  // ---- learned splits --------------------------------------------------------------------

  // Starts with the splits a previous run learned, where they still fit the configuration.
  void load_learned() {
    if (opts.learned_splits.empty()) return;
    const LoadedSplits loaded = load_learned_splits(opts.learned_splits);
    if (!loaded.error.empty()) {
      log->warn("modbus/{}: ignoring the learned splits in {}: {}; starting without them",
                opts.name, opts.learned_splits, loaded.error);
      return;
    }
    const AdoptOutcome outcome = adopt_learned_splits(opts, schedule, loaded.requests);
    for (const auto& a : outcome.adopted) {
      log->info("modbus/{}: using the learned split read plan of {}", opts.name, a);
    }
    for (const auto& d : outcome.discarded) {
      log->warn("modbus/{}: discarding the learned split read plan of {}", opts.name, d);
    }
    if (!outcome.discarded.empty()) save_learned();  // forget them for good
  }

  void save_learned() {
    if (opts.learned_splits.empty()) return;
    if (auto ok = save_learned_splits(opts.learned_splits, learned_requests(opts, schedule)); !ok) {
      log->warn("modbus/{}: cannot keep the learned splits in {}: {}", opts.name,
                opts.learned_splits, ok.error().message());
    }
  }

  // ---- transactions ----------------------------------------------------------------------

  // Keeps the bus silent for the inter-frame gap (and the turnaround delay) after the previous
  // transaction. Protocol timing, not synchronisation: the wait is a few milliseconds at most.
  void before_transaction() {
    if (gap.count() > 0) std::this_thread::sleep_until(last_end + gap);
    // On a mixed bus a late answer of one protocol must not be read as the other's: whatever
    // arrived after the previous transaction ended is discarded.
    if (!instruments.empty()) link.bus_->drain();
    started = SteadyClock::now();
  }

  [[nodiscard]] std::size_t device_count() const {
    return opts.devices.size() + opts.instruments.size();
  }
  [[nodiscard]] const std::string& device_name(std::size_t d) const {
    return d < opts.devices.size() ? opts.devices[d].name
                                   : opts.instruments[d - opts.devices.size()].instrument.name;
  }

  // Counts one transaction of device `d` that took started..last_end and failed with `ec` (or not).
  void count(std::size_t d, std::error_code ec) {
    ++link.counters_.requests;
    auto& dc = link.device_counters_[d];
    ++dc.requests;
    const auto took = std::chrono::duration_cast<microseconds>(last_end - started);
    dc.latency_sum_us += static_cast<std::uint64_t>(took.count());
    const auto bucket = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), took);
    ++dc.latency[static_cast<std::size_t>(bucket - kLatencyBuckets.begin())];
    if (!ec) return;
    ++link.counters_.errors;
    ++dc.errors;
    const auto q = ec.category() == serial::serial_category() ? serial::quality_of(ec)
                                                              : quality_of(ec);
    ++dc.errors_by_quality[static_cast<std::size_t>(q)];
    if (q == Quality::BadTimeout) ++link.counters_.timeouts;
    if (q == Quality::BadException) ++link.counters_.exceptions;
  }
  void after_transaction() {
    const auto now = SteadyClock::now();
    link.counters_.busy_us += static_cast<std::uint64_t>(
        std::chrono::duration_cast<microseconds>(now - started).count());
    last_end = now;
  }

  Result<void> read(const DeviceOptions& dev, const ReadRequest& req) {
    before_transaction();
    Result<void> r;
    if (is_bit_table(req.table)) {
      bits.resize(req.count);
      r = link.bus_->read_bits(dev.unit_id, req.table, req.address, bits);
    } else {
      regs.resize(req.count);
      r = link.bus_->read_registers(dev.unit_id, req.table, req.address, regs);
    }
    after_transaction();
    count(static_cast<std::size_t>(&dev - opts.devices.data()), r ? std::error_code() : r.error());
    return r;
  }

  // The reading of point `p` from the buffers of a successful read of `req`.
  Reading decode(const DeviceOptions& dev, std::size_t p, const ReadRequest& req,
                 std::chrono::system_clock::time_point ts) {
    const PointOptions& point = dev.points[p];
    Reading r = blank(dev, point, ts);
    const std::size_t offset = point.address - req.address;
    if (is_bit_table(req.table)) {
      r.value = bits[offset] != 0;
      return r;
    }
    const auto n = register_count(point.type, point.length);
    auto raw = decode_registers(point, dev.byte_order, std::span(regs).subspan(offset, n));
    if (!raw) {
      r.quality = Quality::BadDecode;
      r.error = raw.error().message();
      return r;
    }
    r.value = to_engineering(point, *raw);
    return r;
  }

  Reading blank(const DeviceOptions& dev, const PointOptions& point,
                std::chrono::system_clock::time_point ts) const {
    Reading r;
    r.link = opts.name;
    r.device = dev.name;
    r.point = point.name;
    r.ts = ts;
    r.unit = point.unit;
    return r;
  }

  Reading bad(const DeviceOptions& dev, const PointOptions& point, std::error_code ec,
              std::chrono::system_clock::time_point ts) const {
    Reading r = blank(dev, point, ts);
    r.quality = quality_of(ec);
    r.exception = exception_code(ec);
    r.error = ec.message();
    return r;
  }

  // ---- polling ---------------------------------------------------------------------------

  void run_job(std::size_t i) {
    if (schedule.is_instrument(i)) {
      run_instrument_job(i);
      return;
    }
    const std::size_t d = schedule.job(i).device;
    const DeviceOptions& dev = opts.devices[d];
    std::vector<Reading> out;
    std::error_code device_error;
    bool split_now = false;
    for (std::size_t r = 0; r < schedule.job(i).requests.size();) {
      const ReadRequest& req = schedule.job(i).requests[r];
      auto ok = read(dev, req);
      const auto ts = std::chrono::system_clock::now();
      if (ok) {
        for (std::size_t p : req.points) out.push_back(decode(dev, p, req, ts));
        ++r;
        continue;
      }
      const std::error_code ec = ok.error();
      const std::uint8_t exc = exception_code(ec);
      // split_request() replaces the request `req` refers to (and may reallocate): copy first.
      const std::uint16_t refused_address = req.address;
      const std::uint16_t refused_count = req.count;
      if (exc == MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS && schedule.split_request(i, r)) {
        log->info("modbus/{}: {} refused a merged read at {} (+{}); splitting it", opts.name,
                  dev.name, refused_address, refused_count);
        split_now = true;
        continue;  // retry the first half now
      }
      if (is_connection_error(ec)) {
        if (split_now) save_learned();
        connection_lost(ec);
        return;
      }
      if (exc != 0 && is_request_exception(exc)) {
        for (std::size_t p : req.points) {
          Reading bad_point = bad(dev, dev.points[p], ec, ts);
          bad_point.quality = Quality::BadConfig;
          out.push_back(std::move(bad_point));
        }
        ++r;
        continue;
      }
      device_error = ec;
      break;
    }
    if (split_now) save_learned();
    const auto now = SteadyClock::now();
    if (device_error) {
      // Every point of the device goes bad once, not only this job's: its values are stale.
      const auto ts = std::chrono::system_clock::now();
      out.clear();
      for (const PointOptions& point : dev.points) out.push_back(bad(dev, point, device_error, ts));
      set_status(d, false, device_error.message());
    } else {
      set_status(d, true, {});
    }
    schedule.completed(i, !device_error, now);
    link.counters_.late_polls = schedule.late_polls();
    emit(d, std::move(out), now);
  }

  // One request of a serial instrument on this bus.
  void run_instrument_job(std::size_t i) {
    const std::size_t d = schedule.job(i).device;
    const std::size_t k = d - opts.devices.size();
    before_transaction();
    auto outcome = instruments[k].request(schedule.job(i).instrument_request, *link.bus_);
    after_transaction();
    count(d, outcome.error);
    if (outcome.error && outcome.error.category() == modbus_category() &&
        is_connection_error(outcome.error)) {
      connection_lost(outcome.error);
      return;
    }
    const auto now = SteadyClock::now();
    if (outcome.error) {
      set_status(d, false, outcome.error.message());
    } else {
      set_status(d, true, {});
    }
    schedule.completed(i, !outcome.error, now);
    link.counters_.late_polls = schedule.late_polls();
    emit_instrument(k, std::move(outcome.readings), now);
  }

  void emit_instrument(std::size_t k, std::vector<Reading> readings, SteadyClock::time_point now) {
    instruments[k].filter(readings, now);
    if (readings.empty()) return;
    link.counters_.readings += readings.size();
    link.sink_.on_readings(std::move(readings));
  }

  // Passes readings of device `d` through their points' filters to the sink. Readings mostly
  // come in configuration order, so the point after the previous one is tried before searching
  // by name (names are unique within a device: the same point either way).
  void emit(std::size_t d, std::vector<Reading> readings, SteadyClock::time_point now) {
    const DeviceOptions& dev = opts.devices[d];
    std::size_t next = 0;
    std::erase_if(readings, [&](const Reading& r) {
      std::size_t p = next;
      if (p >= dev.points.size() || dev.points[p].name != r.point) {
        const auto it = std::find_if(dev.points.begin(), dev.points.end(),
                                     [&](const PointOptions& o) { return o.name == r.point; });
        p = static_cast<std::size_t>(it - dev.points.begin());
      }
      next = p + 1;
      return !filters[d][p].offer(r.value, r.quality, now);
    });
    if (readings.empty()) return;
    link.counters_.readings += readings.size();
    link.sink_.on_readings(std::move(readings));
  }

  void set_status(std::size_t d, bool up, std::string error) {
    if (online[d] == up && (up || last_error[d] == error)) return;
    const std::string unit = d < opts.devices.size()
                                 ? "unit " + std::to_string(opts.devices[d].unit_id)
                                 : std::string("serial instrument");
    if (up) {
      log->info("modbus/{}: device {} ({}) online", opts.name, device_name(d), unit);
    } else {
      log->warn("modbus/{}: device {} ({}) offline: {}", opts.name, device_name(d), unit, error);
    }
    online[d] = up;
    last_error.resize(device_count());
    last_error[d] = error;
    link.sink_.on_status(DeviceStatus{.link = opts.name,
                                      .device = device_name(d),
                                      .online = up,
                                      .error = std::move(error),
                                      .ts = std::chrono::system_clock::now()});
  }

  // ---- connection ------------------------------------------------------------------------

  void connection_lost(std::error_code ec) {
    link.bus_->close();
    const auto now = SteadyClock::now();
    const auto delay = reconnect.next();
    reopen_at = now + delay;
    schedule.hold_until(reopen_at);
    if (reconnect.failures() == 1) {
      log->warn("modbus/{}: connection lost ({}); reopening with backoff", opts.name, ec.message());
    }
    const auto ts = std::chrono::system_clock::now();
    for (std::size_t d = 0; d < opts.devices.size(); ++d) {
      const DeviceOptions& dev = opts.devices[d];
      std::vector<Reading> out;
      for (const PointOptions& point : dev.points) out.push_back(bad(dev, point, ec, ts));
      set_status(d, false, ec.message());
      emit(d, std::move(out), now);
    }
    for (std::size_t k = 0; k < instruments.size(); ++k) {
      set_status(opts.devices.size() + k, false, ec.message());
      emit_instrument(k, instruments[k].all_bad(ec, ts), now);
    }
  }

  // Opens the bus when it is due. False while the link is down.
  bool ensure_open() {
    if (link.bus_->is_open()) return true;
    if (SteadyClock::now() < reopen_at) return false;
    if (auto ok = link.bus_->open(); !ok) {
      connection_lost(ok.error());
      return false;
    }
    if (ever_connected) ++link.counters_.reconnects;
    ever_connected = true;
    log->info("modbus/{}: connected{}", opts.name,
              reconnect.failures() > 0
                  ? " after " + std::to_string(reconnect.failures()) + " failed attempts"
                  : std::string());
    reconnect.reset();
    last_end = SteadyClock::now();
    return true;
  }

  // ---- writes ----------------------------------------------------------------------------

  Result<Value> execute(const WriteCommand& cmd) {
    const auto dev_it = std::find_if(opts.devices.begin(), opts.devices.end(),
                                     [&](const DeviceOptions& d) { return d.name == cmd.device; });
    if (dev_it == opts.devices.end()) return execute_instrument(cmd);
    const DeviceOptions& dev = *dev_it;
    const auto d = static_cast<std::size_t>(dev_it - opts.devices.begin());
    const auto pt_it = std::find_if(dev.points.begin(), dev.points.end(),
                                    [&](const PointOptions& p) { return p.name == cmd.point; });
    if (pt_it == dev.points.end()) return fail(LinkErrc::UnknownPoint);
    const PointOptions& point = *pt_it;
    const auto p = static_cast<std::size_t>(pt_it - dev.points.begin());
    if (!point.writable) return fail(LinkErrc::NotWritable);
    const auto now = SteadyClock::now();
    if (last_write[d][p] != SteadyClock::time_point{} &&
        now - last_write[d][p] < kMinWriteInterval) {
      return fail(LinkErrc::RateLimited);
    }
    if (!ensure_open()) return fail(LinkErrc::NotConnected);

    auto result = write_and_verify(dev, point, cmd.value);
    // A value refused before anything was sent (wrong type, out of range) does not use up the
    // point's write slot: the corrected command may follow at once.
    if (result || result.error().category() != make_error_code(CodecErrc::WrongType).category()) {
      last_write[d][p] = now;
    }
    const auto ts = std::chrono::system_clock::now();
    if (!result) {
      if (is_connection_error(result.error()) &&
          result.error().category() == modbus_category()) {
        connection_lost(result.error());
      }
      return result;
    }
    // The verified value is the point's newest reading.
    Reading r = blank(dev, point, ts);
    r.value = *result;
    emit(d, {std::move(r)}, SteadyClock::now());
    return result;
  }

  // A command for a serial instrument on this bus.
  Result<Value> execute_instrument(const WriteCommand& cmd) {
    const auto it = std::find_if(instruments.begin(), instruments.end(),
                                 [&](const serial::BusInstrument& i) {
                                   return i.options().name == cmd.device;
                                 });
    if (it == instruments.end()) return fail(LinkErrc::UnknownPoint);
    if (!ensure_open()) return fail(LinkErrc::NotConnected);
    std::vector<Reading> readings;
    before_transaction();
    auto result = it->command(cmd, *link.bus_, readings);
    after_transaction();
    if (!result && result.error().category() == modbus_category() &&
        is_connection_error(result.error())) {
      connection_lost(result.error());
      return result;
    }
    emit_instrument(static_cast<std::size_t>(it - instruments.begin()), std::move(readings),
                    SteadyClock::now());
    return result;
  }

  Result<Value> write_and_verify(const DeviceOptions& dev, const PointOptions& point,
                                 const Value& v) {
    const std::uint8_t unit = dev.unit_id;
    if (point.type == DataType::Bool) {
      const auto on = as_bool(v);
      if (!on) return fail(CodecErrc::WrongType);
      before_transaction();
      auto w = link.bus_->write_coil(unit, point.address, *on, write_function(dev));
      after_transaction();
      GW_TRY_VOID(w);
      ReadRequest back{.table = point.table, .address = point.address, .count = 1};
      GW_TRY_VOID(read(dev, back));
      if ((bits[0] != 0) != *on) return fail(LinkErrc::ReadBackMismatch);
      return Value{bits[0] != 0};
    }
    if (point.type == DataType::Bit) {
      const auto on = as_bool(v);
      if (!on) return fail(CodecErrc::WrongType);
      const auto mask = static_cast<std::uint16_t>(1U << point.bit);
      before_transaction();
      auto w = link.bus_->mask_write(unit, point.address, static_cast<std::uint16_t>(~mask),
                                     *on ? mask : std::uint16_t{0});
      after_transaction();
      GW_TRY_VOID(w);
      ReadRequest back{.table = point.table, .address = point.address, .count = 1};
      GW_TRY_VOID(read(dev, back));
      const bool now_on = (regs[0] & mask) != 0;
      if (now_on != *on) return fail(LinkErrc::ReadBackMismatch);
      return Value{now_on};
    }
    GW_TRY(words, encode_registers(point, dev.byte_order, v));
    regs.resize(words.size());
    before_transaction();
    Result<void> w;
    if (dev.supports_fc23) {
      w = link.bus_->write_and_read(unit, point.address, words, point.address, regs);
      ++link.counters_.requests;
    } else {
      w = link.bus_->write_registers(unit, point.address, words, write_function(dev));
    }
    after_transaction();
    GW_TRY_VOID(w);
    if (!dev.supports_fc23) {
      ReadRequest back{.table = point.table,
                       .address = point.address,
                       .count = static_cast<std::uint16_t>(words.size())};
      GW_TRY_VOID(read(dev, back));
    }
    if (!std::equal(words.begin(), words.end(), regs.begin())) {
      return fail(LinkErrc::ReadBackMismatch);
    }
    GW_TRY(raw, decode_registers(point, dev.byte_order, regs));
    return to_engineering(point, raw);
  }

  Link& link;
  const LinkOptions& opts;
  std::shared_ptr<spdlog::logger> log;
  PollSchedule schedule;
  Backoff reconnect;
  bool ever_connected = false;
  SteadyClock::time_point reopen_at{};
  SteadyClock::time_point last_end{};
  SteadyClock::time_point started{};  // of the current transaction
  microseconds gap{0};
  std::vector<std::vector<PublishFilter>> filters;
  std::vector<std::vector<SteadyClock::time_point>> last_write;
  std::vector<std::optional<bool>> online;
  std::vector<std::string> last_error;
  std::vector<std::uint16_t> regs;
  std::vector<std::uint8_t> bits;
  std::vector<serial::BusInstrument> instruments;  // LinkOptions::instruments, in order
};

Link::Link(LinkOptions options, LinkSink& sink)
    : Link(options, sink, make_bus(options)) {}

Link::Link(LinkOptions options, LinkSink& sink, std::unique_ptr<Bus> bus)
    : options_(std::move(options)),
      sink_(sink),
      bus_(std::move(bus)),
      device_counters_(std::make_unique<DeviceCounters[]>(options_.devices.size() +
                                                          options_.instruments.size())) {}

Link::~Link() { stop(); }

void Link::start() {
  thread_ = std::jthread([this](std::stop_token st) { run(st); });
}

void Link::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) {
    thread_.request_stop();
    wake_.notify_all();
    thread_.join();
  }
  // Writes that never ran are answered, so no caller waits forever.
  std::deque<PendingWrite> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(writes_);
  }
  for (auto& w : left) w.done(fail(LinkErrc::Stopped));
}

Result<void> Link::write(WriteCommand command, WriteDone done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return fail(LinkErrc::Stopped);
    if (writes_.size() >= kMaxPendingWrites) return fail(LinkErrc::QueueFull);
    writes_.push_back(PendingWrite{std::move(command), std::move(done)});
  }
  wake_.notify_all();
  return {};
}

LinkStats Link::stats() const {
  const auto& c = counters_;
  LinkStats out{.requests = c.requests,
                   .errors = c.errors,
                   .timeouts = c.timeouts,
                   .exceptions = c.exceptions,
                   .writes = c.writes,
                   .write_errors = c.write_errors,
                   .reconnects = c.reconnects,
                   .late_polls = c.late_polls,
                   .readings = c.readings,
                   .busy_us = c.busy_us,
                   .devices = {}};
  const std::size_t devices = options_.devices.size();
  out.devices.reserve(devices + options_.instruments.size());
  for (std::size_t d = 0; d < devices + options_.instruments.size(); ++d) {
    const DeviceCounters& dc = device_counters_[d];
    DeviceStats ds{.name = d < devices ? options_.devices[d].name
                                       : options_.instruments[d - devices].instrument.name,
                   .requests = dc.requests,
                   .errors = dc.errors,
                   .errors_by_quality = {},
                   .latency = {},
                   .latency_sum_us = dc.latency_sum_us};
    for (std::size_t q = 0; q < kQualityCount; ++q) ds.errors_by_quality[q] = dc.errors_by_quality[q];
    for (std::size_t b = 0; b < dc.latency.size(); ++b) ds.latency[b] = dc.latency[b];
    out.devices.push_back(std::move(ds));
  }
  return out;
}

void Link::run(std::stop_token stop) {
  Impl s(*this, std::chrono::steady_clock::now());
  const auto wait_until = [&](SteadyClock::time_point deadline) {
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, stop, deadline, [&] { return !writes_.empty(); });
  };
  while (!stop.stop_requested()) {
    std::optional<PendingWrite> w;
    {
      std::lock_guard lock(mutex_);
      if (!writes_.empty()) {
        w.emplace(std::move(writes_.front()));
        writes_.pop_front();
      }
    }
    if (w) {
      // Writes go before polls.
      auto result = s.execute(w->command);
      ++counters_.writes;
      if (!result) {
        ++counters_.write_errors;
        s.log->warn("modbus/{}: write {}/{} failed: {}", options_.name, w->command.device,
                    w->command.point, result.error().message());
      } else {
        s.log->info("modbus/{}: wrote {}/{}", options_.name, w->command.device, w->command.point);
      }
      w->done(std::move(result));
      continue;
    }
    if (!s.ensure_open()) {
      wait_until(s.reopen_at);
      continue;
    }
    const std::size_t next = s.schedule.next();
    const auto due = s.schedule.job(next).due;
    if (due > SteadyClock::now()) {
      wait_until(due);
      continue;
    }
    s.run_job(next);
  }
  bus_->close();
}

}  // namespace gw::adapters::modbus
