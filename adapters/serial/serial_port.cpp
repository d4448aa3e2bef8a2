#include "adapters/serial/serial_port.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "adapters/serial/serial_error.hpp"

namespace gw::adapters::serial {
namespace {

std::optional<speed_t> speed_of(std::uint32_t baud) {
  switch (baud) {
    case 50: return B50;
    case 75: return B75;
    case 110: return B110;
    case 134: return B134;
    case 150: return B150;
    case 200: return B200;
    case 300: return B300;
    case 600: return B600;
    case 1200: return B1200;
    case 1800: return B1800;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 576000: return B576000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 1152000: return B1152000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    case 2500000: return B2500000;
    case 3000000: return B3000000;
    case 3500000: return B3500000;
    case 4000000: return B4000000;
    default: return std::nullopt;
  }
}

std::error_code last_errno() { return {errno, std::system_category()}; }

// Milliseconds from now to `deadline` for poll(), rounded up so a wait never ends early.
int poll_timeout(SerialPort::TimePoint deadline) {
  const auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}

}  // namespace

bool SerialPort::baud_supported(std::uint32_t baud) { return speed_of(baud).has_value(); }

Result<SerialPort> SerialPort::open(const PortOptions& options) {
  const auto speed = speed_of(options.baud);
  if (!speed) return fail(SerialErrc::UnsupportedBaud);
  // O_NONBLOCK: neither open (waiting for carrier) nor read may block the link thread; poll()
  // does the waiting.
  const int fd = ::open(options.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail(last_errno());
  SerialPort port(fd);

  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) return fail(last_errno());
  ::cfmakeraw(&tio);
  ::cfsetispeed(&tio, *speed);
  ::cfsetospeed(&tio, *speed);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  tio.c_cflag |= CLOCAL | CREAD;
  switch (options.data_bits) {
    case 5: tio.c_cflag |= CS5; break;
    case 6: tio.c_cflag |= CS6; break;
    case 7: tio.c_cflag |= CS7; break;
    default: tio.c_cflag |= CS8; break;
  }
  if (options.parity == Parity::Even) tio.c_cflag |= PARENB;
  if (options.parity == Parity::Odd) tio.c_cflag |= PARENB | PARODD;
  if (options.stop_bits == 2) tio.c_cflag |= CSTOPB;
  tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY);
  if (options.flow_control == FlowControl::RtsCts) tio.c_cflag |= CRTSCTS;
  if (options.flow_control == FlowControl::XonXoff) tio.c_iflag |= IXON | IXOFF;
  // Non-blocking reads return what is there; poll() provides the timeout.
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) return fail(last_errno());
  if (options.flush_on_open && ::tcflush(fd, TCIFLUSH) != 0) return fail(last_errno());
  return port;
}

Result<std::size_t> SerialPort::read(std::span<char> buf, TimePoint deadline, int wake_fd) {
  if (!fd_) return fail(SerialErrc::NotConnected);
  for (;;) {
    pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int n = ::poll(fds, wake_fd >= 0 ? 2 : 1, poll_timeout(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(last_errno());
    }
    if (n == 0) return std::size_t{0};
    if (wake_fd >= 0 && (fds[1].revents & POLLIN) != 0 && (fds[0].revents & POLLIN) == 0) {
      return std::size_t{0};
    }
    if ((fds[0].revents & POLLNVAL) != 0) return fail(std::errc::bad_file_descriptor);
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    // Data that arrived before a hang-up is still read first.
    const ssize_t r = ::read(fd_.get(), buf.data(), buf.size());
    if (r > 0) return static_cast<std::size_t>(r);
    if (r == 0) return fail(SerialErrc::PortClosed);
    if (errno == EINTR || errno == EAGAIN) {
      if ((fds[0].revents & (POLLHUP | POLLERR)) != 0) return fail(SerialErrc::PortClosed);
      continue;
    }
    return fail(last_errno());
  }
}

Result<void> SerialPort::write(std::string_view bytes, TimePoint deadline) {
  if (!fd_) return fail(SerialErrc::NotConnected);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
    if (w > 0) {
      done += static_cast<std::size_t>(w);
      continue;
    }
    if (w < 0 && errno != EAGAIN && errno != EINTR) return fail(last_errno());
    pollfd pfd{fd_.get(), POLLOUT, 0};
    const int timeout = poll_timeout(deadline);
    if (timeout == 0) return fail(std::errc::timed_out);
    const int n = ::poll(&pfd, 1, timeout);
    if (n < 0 && errno != EINTR) return fail(last_errno());
    if (n > 0 && (pfd.revents & (POLLHUP | POLLERR)) != 0) return fail(SerialErrc::PortClosed);
  }
  return {};
}

}  // namespace gw::adapters::serial
