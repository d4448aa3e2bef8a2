#include "tests/support/scripted_serial_device.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gw::test {
namespace {

// Short so that close() returns promptly; requests wake the thread, not this.
constexpr std::chrono::milliseconds kPollSlice{10};

UniqueFd open_raw(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
  termios tio{};
  if (::tcgetattr(fd.get(), &tio) == 0) {
    ::cfmakeraw(&tio);
    ::tcsetattr(fd.get(), TCSANOW, &tio);
  }
  return fd;
}

void write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w > 0) {
      done += static_cast<std::size_t>(w);
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 100) <= 0) return;  // the other end does not read: drop, like a line
      continue;
    }
    return;
  }
}

}  // namespace

ScriptedSerialDevice::ScriptedSerialDevice(const std::string& path, std::string terminator)
    : ScriptedSerialDevice(open_raw(path), std::move(terminator)) {}

ScriptedSerialDevice::ScriptedSerialDevice(UniqueFd fd, std::string terminator)
    : fd_(std::move(fd)), terminator_(std::move(terminator)) {
  thread_ = std::thread([this] { run(); });
}

ScriptedSerialDevice::~ScriptedSerialDevice() { close(); }

void ScriptedSerialDevice::respond(Responder responder) {
  std::lock_guard lock(mutex_);
  responder_ = std::move(responder);
}

void ScriptedSerialDevice::stream(Generator next, std::chrono::milliseconds period) {
  std::lock_guard lock(mutex_);
  generator_ = std::move(next);
  period_ = period;
  next_tick_ = std::chrono::steady_clock::now();
}

void ScriptedSerialDevice::stop_streaming() {
  std::lock_guard lock(mutex_);
  generator_ = nullptr;
}

void ScriptedSerialDevice::send(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  if (fd_) write_all(fd_.get(), bytes);
}

std::vector<std::string> ScriptedSerialDevice::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

bool ScriptedSerialDevice::wait_requests(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void ScriptedSerialDevice::close() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  fd_.reset();
}

void ScriptedSerialDevice::run() {
  std::string pending;
  for (;;) {
    auto wait = kPollSlice;
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
      const auto now = std::chrono::steady_clock::now();
      if (generator_ && now >= next_tick_) {
        write_all(fd_.get(), generator_());
        next_tick_ += period_;
        if (next_tick_ < now) next_tick_ = now + period_;
      }
      if (generator_) {
        wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(next_tick_ - now));
      }
    }
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(wait.count(), 0))) <= 0) continue;
    char buf[512];
    const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n <= 0) {
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        // The link end is closed (between its reopen attempts a pty reports a hang-up): wait.
        ::poll(nullptr, 0, static_cast<int>(kPollSlice.count()));
      }
      continue;
    }
    pending.append(buf, static_cast<std::size_t>(n));
    for (std::size_t at; (at = pending.find(terminator_)) != std::string::npos;) {
      std::string request = pending.substr(0, at);
      pending.erase(0, at + terminator_.size());
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      if (responder_) {
        if (auto reply = responder_(request)) write_all(fd_.get(), *reply);
      }
      changed_.notify_all();
    }
  }
}

}  // namespace gw::test
