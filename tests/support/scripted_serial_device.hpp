// Test support: the other end of a serial line, played by a script — a weigh scale that answers
// "W\r", a GPS that streams sentences, a controller that confirms set-points — so that a serial
// instrument link can be tested against a pty without hardware.
//
// The device thread reads what the link sends, cuts it into requests at `terminator`, asks the
// responder for each and writes the answer back; independently it can stream, writing next() every
// `period`. The test can also write any bytes at any time (garbage, broken checksums, a 10 kB
// line) and wait, with a deadline, for the requests the device has seen.
//
//   PtyPair cable;
//   ScriptedSerialDevice scale(cable.device_b(), "\r");
//   scale.respond([](const std::string& req) -> std::optional<std::string> {
//     if (req == "W") return "  12.345 kg\r\n";
//     return std::nullopt;  // no answer
//   });
//
// Ownership: owns its fd and thread; close() (or the destructor) stops the thread and closes the
// fd, which for a pty master is the cable being pulled out.
// Thread safety: every public member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/pty_pair.hpp"

namespace gw::test {

class ScriptedSerialDevice {
 public:
  using Responder = std::function<std::optional<std::string>(const std::string& request)>;
  using Generator = std::function<std::string()>;

  // Opens the serial device at `path` (e.g. PtyPair::device_b()) in raw mode. Throws
  // std::runtime_error.
  ScriptedSerialDevice(const std::string& path, std::string terminator);
  // Takes an open fd, e.g. the master side of open_raw_pty().
  ScriptedSerialDevice(UniqueFd fd, std::string terminator);
  ~ScriptedSerialDevice();
  ScriptedSerialDevice(const ScriptedSerialDevice&) = delete;
  ScriptedSerialDevice& operator=(const ScriptedSerialDevice&) = delete;

  void respond(Responder responder);
  // Writes next() now and then every `period`, until stop_streaming().
  void stream(Generator next, std::chrono::milliseconds period);
  void stop_streaming();
  // Writes `bytes` now.
  void send(std::string_view bytes);

  // Requests received so far (terminator removed).
  [[nodiscard]] std::vector<std::string> requests() const;
  // Waits until at least `n` requests have arrived; false when `timeout` passed first.
  bool wait_requests(std::size_t n, std::chrono::milliseconds timeout);

  // Stops the thread and closes the fd: the device is unplugged.
  void close();

 private:
  void run();

  UniqueFd fd_;
  std::string terminator_;
  mutable std::mutex mutex_;  // guards: responder_, generator_, period_, next_tick_, requests_,
                              // stop_, fd_ writes
  std::condition_variable changed_;
  Responder responder_;
  Generator generator_;
  std::chrono::milliseconds period_{0};
  std::chrono::steady_clock::time_point next_tick_{};
  std::vector<std::string> requests_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gw::test
