// adapters::modbus::Link: one Modbus link (TCP connection, RS-485 bus, or RTU over TCP) with its
// own thread, its own Bus and one PollSchedule for all the devices on it.
//
// The thread polls by earliest deadline, writes before polls, keeps the RTU inter-frame silence
// (3.5 characters, which libmodbus does not enforce) plus the configured turnaround delay between
// transactions, backs failing devices off, and reopens a lost connection with jittered backoff.
// Readings that pass each point's PublishFilter, device status changes and write outcomes go to
// the LinkSink, called on the link thread: the sink must only copy and hand off (asio::post).
//
// A mixed RS-485 bus: a Rtu link may also carry serial instruments in request/response mode
// (LinkOptions::instruments, adapters/serial/bus_instrument.hpp). Their requests are jobs of the
// same schedule and their commands writes of the same queue, so one thread keeps one transaction
// on the line at a time, with the same gap between any two whatever their protocol; stale input
// is drained before each transaction. Instruments are devices like the slaves: statuses,
// readings, per-device backoff and DeviceStats (after the slaves', in configuration order).
//
//   Link link(options, sink);
//   link.start();
//   link.write({.device = "boiler", .point = "setpoint", .value = 21.5}, [](Result<Value> r) {...});
//   link.stop();   // joins the thread; also done by the destructor
//
// Ownership: owns its thread and Bus; borrows the sink, which must outlive it.
// Thread safety: write(), stop() and stats() may be called from any thread; start() once.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "adapters/modbus/bus.hpp"
#include "adapters/modbus/options.hpp"
#include "adapters/reading.hpp"
#include "core/result.hpp"

namespace gw::adapters::modbus {

// Errors of a write command, besides the codec's and the bus's (category "modbus.link").
enum class LinkErrc {
  UnknownPoint = 1,  // no such device or point on this link
  NotWritable,       // the point is not configured writable
  RateLimited,       // a write to this point came sooner than kMinWriteInterval after the last
  QueueFull,         // too many writes waiting
  Stopped,           // the link is stopping
  ReadBackMismatch,  // the device holds a different value after the write
  NotConnected,      // the link is down
};
[[nodiscard]] std::error_code make_error_code(LinkErrc e);

struct DeviceStatus {
  std::string link;
  std::string device;
  bool online = false;
  std::string error;  // why it is offline
  std::chrono::system_clock::time_point ts;
};

struct WriteCommand {
  std::string device;
  std::string point;
  Value value;  // engineering value: bool, integer, double or string as the point's type allows
};

// Called on the link thread; implementations copy what they need and return quickly.
class LinkSink {
 public:
  virtual ~LinkSink() = default;
  virtual void on_readings(std::vector<Reading> readings) = 0;
  virtual void on_status(DeviceStatus status) = 0;
};

// Upper bounds of the response-time histogram buckets of DeviceStats (Prometheus `le`).
inline constexpr std::array<std::chrono::microseconds, 11> kLatencyBuckets{
    std::chrono::microseconds{1'000},   std::chrono::microseconds{2'500},
    std::chrono::microseconds{5'000},   std::chrono::microseconds{10'000},
    std::chrono::microseconds{25'000},  std::chrono::microseconds{50'000},
    std::chrono::microseconds{100'000}, std::chrono::microseconds{250'000},
    std::chrono::microseconds{500'000}, std::chrono::microseconds{1'000'000},
    std::chrono::microseconds{2'500'000}};

// Read transactions of one device (writes are counted per link).
struct DeviceStats {
  std::string name;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  // Failed reads by the quality they gave (index: Quality); [Good] stays 0.
  std::array<std::uint64_t, kQualityCount> errors_by_quality{};
  // Response times of all reads, answered or not: latency[i] counts those up to
  // kLatencyBuckets[i] (and above the previous bound); the last element those above them all.
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> latency{};
  std::uint64_t latency_sum_us = 0;
};

struct LinkStats {
  std::uint64_t requests = 0;  // read transactions sent
  std::uint64_t errors = 0;    // read transactions that failed
  std::uint64_t timeouts = 0;
  std::uint64_t exceptions = 0;
  std::uint64_t writes = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t late_polls = 0;
  std::uint64_t readings = 0;  // readings handed to the sink
  // Time the bus spent in transactions (request sent to response received or timed out), the
  // inter-frame gaps not included: busy_us per second of wall time is the bus utilisation.
  std::uint64_t busy_us = 0;
  std::vector<DeviceStats> devices;  // in configuration order: Modbus devices, then instruments
};

class Link {
 public:
  using WriteDone = std::function<void(Result<Value>)>;
  static constexpr std::size_t kMaxPendingWrites = 64;
  static constexpr std::chrono::milliseconds kMinWriteInterval{100};

  Link(LinkOptions options, LinkSink& sink);
  // Tests and tools may supply their own Bus.
  Link(LinkOptions options, LinkSink& sink, std::unique_ptr<Bus> bus);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  void start();
  void stop();
  // True between start() and stop().
  [[nodiscard]] bool running() const { return thread_.joinable(); }

  // Queues a write; `done` runs on the link thread with the read-back engineering value or the
  // error. Errors (returned at once, `done` not called): LinkErrc::QueueFull, Stopped.
  Result<void> write(WriteCommand command, WriteDone done);

  [[nodiscard]] const LinkOptions& options() const { return options_; }
  [[nodiscard]] LinkStats stats() const;

 private:
  struct PendingWrite {
    WriteCommand command;
    WriteDone done;
  };
  struct Impl;

  void run(std::stop_token stop);

  LinkOptions options_;
  LinkSink& sink_;
  std::unique_ptr<Bus> bus_;

  mutable std::mutex mutex_;  // guards: writes_, stopping_
  std::condition_variable_any wake_;
  std::deque<PendingWrite> writes_;
  bool stopping_ = false;

  struct Counters {
    std::atomic<std::uint64_t> requests{0}, errors{0}, timeouts{0}, exceptions{0}, writes{0},
        write_errors{0}, reconnects{0}, late_polls{0}, readings{0}, busy_us{0};
  };
  struct DeviceCounters {
    std::atomic<std::uint64_t> requests{0}, errors{0}, latency_sum_us{0};
    std::array<std::atomic<std::uint64_t>, kQualityCount> errors_by_quality{};
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency{};
  };
  Counters counters_;
  // One per options_.devices, then one per options_.instruments.
  std::unique_ptr<DeviceCounters[]> device_counters_;
  std::jthread thread_;
};

}  // namespace gw::adapters::modbus

template <>
struct std::is_error_code_enum<gw::adapters::modbus::LinkErrc> : std::true_type {};
