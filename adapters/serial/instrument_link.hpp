// adapters::serial::InstrumentLink: one serial instrument on its own port, with its own thread.
//
// The thread opens and configures the port (SerialPort), cuts what arrives into frames (Framer),
// checks each frame's checksum, matches it against the patterns (LineParser) and turns captures
// into Readings; it sends the scheduled requests and waits for their answers, sends commands for
// writable points and waits for their replies, and keeps one transaction on the line at a time
// (commands before requests, turnaround_delay of silence between them). Readings pass each point's
// PublishFilter before they reach the sink, exactly as on a Modbus link.
//
// A device that goes wrong gets bad quality, never a stale value: a request without an answer
// makes its points BadTimeout, a bad checksum BadCrc, an answer that matches no pattern
// BadDecode; a streaming device that sends no good frame for stream_timeout makes every point
// BadTimeout. An unplugged device (read error, hang-up, the path gone) makes every point
// BadConnection. Silence, reopen_after_failures failed requests in a row and port errors close
// the port and reopen it with jittered exponential backoff, reset by the first good frame.
// Nothing is shared with other links: one bad instrument affects only itself.
//
//   InstrumentLink link(options, sink);   // options passed validate() (options_validation.hpp)
//   link.start();
//   link.write({.device = "oven", .point = "setpoint", .value = 180.0}, [](Result<Value> r) {...});
//   link.stop();                          // joins the thread; also done by the destructor
//
// It speaks the Modbus link's sink interface (LinkSink, DeviceStatus, WriteCommand), so that the
// gateway routes both kinds of link the same way.
//
// Ownership: owns its thread, port and wake-up eventfd; borrows the sink, which must outlive it.
// Thread safety: write(), stop() and stats() may be called from any thread; start() once. The
// sink and write callbacks are called on the link thread: they must copy and hand off.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "adapters/modbus/link.hpp"
#include "adapters/reading.hpp"
#include "adapters/serial/options.hpp"
#include "core/result.hpp"

namespace gw::adapters::serial {

using modbus::DeviceStatus;
using modbus::LinkSink;
using modbus::WriteCommand;

struct InstrumentStats {
  std::uint64_t opens = 0;            // successful port opens
  std::uint64_t reopens = 0;          // port closed after a failure (unplug, silence, failures)
  std::uint64_t requests = 0;         // scheduled requests sent
  std::uint64_t timeouts = 0;         // requests and commands without a (complete) answer
  std::uint64_t frames = 0;           // frames received
  std::uint64_t bad_checksums = 0;    // frames whose checksum did not match
  std::uint64_t unmatched = 0;        // frames that matched no pattern (garbage)
  std::uint64_t oversize = 0;         // over-long frames discarded (Framer)
  std::uint64_t discarded_bytes = 0;  // bytes in no frame (Framer)
  std::uint64_t decode_errors = 0;    // points whose capture did not convert
  std::uint64_t writes = 0;           // commands executed
  std::uint64_t write_errors = 0;
  std::uint64_t readings = 0;         // readings handed to the sink
};

class InstrumentLink {
 public:
  using WriteDone = std::function<void(Result<Value>)>;
  static constexpr std::size_t kMaxPendingWrites = 64;

  // Precondition: validate(options) is empty; a pattern that does not compile aborts (GW_CHECK).
  InstrumentLink(InstrumentOptions options, LinkSink& sink);
  ~InstrumentLink();
  InstrumentLink(const InstrumentLink&) = delete;
  InstrumentLink& operator=(const InstrumentLink&) = delete;

  void start();
  void stop();
  [[nodiscard]] bool running() const { return thread_.joinable(); }

  // Queues a command for a writable point; `done` runs on the link thread with the confirmed
  // engineering value or the error: SerialErrc::UnknownPoint, WrongType, OutOfRange (outside
  // min..max), NotConnected, Timeout, CommandRejected, BadChecksum, a port error, Stopped.
  // Errors returned at once (`done` not called): SerialErrc::QueueFull, Stopped.
  Result<void> write(WriteCommand command, WriteDone done);

  [[nodiscard]] const InstrumentOptions& options() const { return options_; }
  [[nodiscard]] InstrumentStats stats() const;

 private:
  struct PendingWrite {
    WriteCommand command;
    WriteDone done;
  };
  struct Impl;

  void run(std::stop_token stop);
  void wake();

  InstrumentOptions options_;
  LinkSink& sink_;
  int wake_fd_ = -1;  // eventfd: pending writes and stop() interrupt the thread's poll()

  mutable std::mutex mutex_;  // guards: writes_, stopping_
  std::deque<PendingWrite> writes_;
  bool stopping_ = false;

  struct Counters {
    std::atomic<std::uint64_t> opens{0}, reopens{0}, requests{0}, timeouts{0}, frames{0},
        bad_checksums{0}, unmatched{0}, oversize{0}, discarded_bytes{0}, decode_errors{0},
        writes{0}, write_errors{0}, readings{0};
  };
  Counters counters_;
  std::jthread thread_;
};

}  // namespace gw::adapters::serial
