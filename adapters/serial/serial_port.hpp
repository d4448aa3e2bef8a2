// adapters::serial::SerialPort: one open serial device configured through termios — raw mode, the
// baud rate, parity, data and stop bits and flow control of PortOptions, stale input flushed on
// open — with a poll()-based read that waits up to a deadline and can be woken early, and a write
// that finishes within a deadline.
//
// An unplugged USB adapter, a closed pty master or a hung-up line shows as POLLHUP/POLLERR, an end
// of file or EIO/ENXIO/ENODEV: read() then fails with that error (SerialErrc::PortClosed for a
// hang-up) and the owner closes the port and opens it again later, when the device path exists
// again.
//
// Ownership: owns the file descriptor (closed by close() or the destructor); move-only.
// Thread safety: none; owned by one link thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "adapters/serial/options.hpp"
#include "core/result.hpp"
#include "core/unique_fd.hpp"

namespace gw::adapters::serial {

class SerialPort {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  SerialPort() = default;

  // Opens and configures `options.device`. Errors: the errno of open()/tcsetattr() in
  // std::system_category (ENOENT: no such device, EACCES, EBUSY, ENOTTY: not a terminal),
  // SerialErrc::UnsupportedBaud.
  static Result<SerialPort> open(const PortOptions& options);

  [[nodiscard]] bool is_open() const { return static_cast<bool>(fd_); }
  void close() { fd_.reset(); }

  // Reads what is available into `buf`, waiting until `deadline` for the first byte; returns 0
  // when the deadline passed, or when `wake_fd` (an eventfd, or -1) became readable first — the
  // caller drains it. Errors: SerialErrc::PortClosed (hang-up, end of file), read()'s errno.
  Result<std::size_t> read(std::span<char> buf, TimePoint deadline, int wake_fd = -1);

  // Writes all of `bytes` before `deadline` (flow control may hold them back). Errors:
  // std::errc::timed_out, write()'s errno (EIO when the device went away).
  Result<void> write(std::string_view bytes, TimePoint deadline);

  // True when termios has a speed constant (B9600, ...) for `baud`.
  [[nodiscard]] static bool baud_supported(std::uint32_t baud);

 private:
  explicit SerialPort(int fd) : fd_(fd) {}
  UniqueFd fd_;  // move-only, closed with the port
};

}  // namespace gw::adapters::serial
