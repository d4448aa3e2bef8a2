// adapters::serial::Framer: cuts the byte stream of a serial port into frames, for every
// FramingKind (options.hpp defines them and what a frame contains), with a maximum frame size so a
// runaway device cannot exhaust memory: an over-long frame is discarded (to the next delimiter or
// start byte) and counted, and the frames after it are found again.
//
// Sans-I/O: bytes and the time they arrived go in, frames come out. The caller polls the port
// until idle_deadline() and calls on_idle() when the line stayed quiet that long (Silence framing
// ends its frame there; the other kinds may discard a partial frame, see FramingOptions::silence).
//
//   Framer f(options.framing);
//   f.feed(bytes, now, frames);            // appends complete frames
//   if (auto d = f.idle_deadline(); d && now >= *d) f.on_idle(frames);
//
// Ownership: a value type owning its buffer (at most max_frame + delimiter bytes). Thread safety:
// none; one per port, used by its link thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/serial/options.hpp"

namespace gw::adapters::serial {

class Framer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Stats {
    std::uint64_t frames = 0;           // frames produced
    std::uint64_t oversize = 0;         // frames longer than max_frame, discarded
    std::uint64_t partial = 0;          // partial frames discarded after silence
    std::uint64_t discarded_bytes = 0;  // bytes in no frame: oversize, partial, between frames

    friend bool operator==(const Stats&, const Stats&) = default;
  };

  // Precondition: `options` passed validation (options_validation.hpp).
  explicit Framer(FramingOptions options);

  // Takes the bytes that arrived at `now`; appends the frames they complete to `frames`.
  void feed(std::string_view bytes, TimePoint now, std::vector<std::string>& frames);

  // When the line counts as quiet, if anything waits for that; nullopt otherwise.
  [[nodiscard]] std::optional<TimePoint> idle_deadline() const;

  // The line has been quiet since idle_deadline(): ends a Silence frame, discards a partial one.
  void on_idle(std::vector<std::string>& frames);

  // Forgets buffered bytes without counting them (the port was closed and reopened).
  void reset();

  [[nodiscard]] const Stats& stats() const { return stats_; }
  // Bytes buffered for the frame in progress.
  [[nodiscard]] std::size_t buffered() const { return buf_.size(); }

 private:
  void feed_delimiter(std::string_view bytes, std::vector<std::string>& frames);
  void feed_start_end(std::string_view bytes, std::vector<std::string>& frames);
  void feed_fixed(std::string_view bytes, std::vector<std::string>& frames);
  void feed_length_byte(std::string_view bytes, std::vector<std::string>& frames);
  void feed_silence(std::string_view bytes);
  void emit(std::string frame, std::vector<std::string>& frames);
  void discard(std::size_t n) { stats_.discarded_bytes += n; }

  FramingOptions opts_;
  std::string buf_;
  // Delimiter and Silence: dropping an over-long frame until its end. StartEnd: inside a frame.
  bool discarding_ = false;
  bool in_frame_ = false;
  std::size_t trailer_left_ = 0;  // StartEnd: trailer bytes still to come after the end byte
  bool after_end_ = false;
  TimePoint last_byte_{};
  Stats stats_;
};

}  // namespace gw::adapters::serial
