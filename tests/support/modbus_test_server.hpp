// Test support: a Modbus server (slave) built on libmodbus's own reply code, running in a thread,
// for integration tests of the Modbus adapter against a real peer.
//
// One server answers for several unit ids (slaves), each with its own register image, the way
// several devices share one RS-485 bus or one TCP gateway. It listens on Modbus TCP
// (127.0.0.1, port 0 = any free port) or serves Modbus RTU on a serial device (a pty from
// pty_pair.hpp). Every request is logged per unit, and faults can be injected per unit: never
// answer, answer with an exception, answer late, refuse reads that cover given addresses. The
// TCP connections can be dropped, and the server stopped and restarted on the same port.
//
//   ModbusTestServer server({1, 2});
//   server.start_tcp();
//   server.set_registers(1, 100, {0x4148, 0x0000});
//   ... link options: host 127.0.0.1, port server.port() ...
//   server.wait_for_requests(1, 3, 2s);
//
// RTU: libmodbus's RTU server only answers its own slave id (its receive drops other ids and
// then ignores the next frame as that slave's answer), so in RTU mode this server frames the
// requests itself, checks the CRC, and hands each one to modbus_reply() with the slave id of the
// request; the register logic is libmodbus's in both modes.
//
// Ownership: owns its thread, sockets or serial port, and libmodbus contexts and mappings.
// Thread safety: every public member may be called from any thread. start_*/stop/restart are
// not to be called concurrently with each other.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <modbus/modbus.h>

#include "tests/support/pty_pair.hpp"  // UniqueFd

namespace gw::test {

// CRC-16/MODBUS of `bytes` (sent low byte first), for building RTU frames in tests.
[[nodiscard]] std::uint16_t modbus_crc16(std::span<const std::uint8_t> bytes);

// `frame` + its CRC, low byte first.
[[nodiscard]] std::vector<std::uint8_t> with_crc(std::vector<std::uint8_t> frame);

class ModbusTestServer {
 public:
  // Each unit has this many coils, discrete inputs, holding and input registers, from address 0.
  static constexpr int kTableSize = 1024;

  // One request as the server received it.
  struct Request {
    std::uint8_t function = 0;
    std::uint16_t address = 0;  // FC 23: the read address
    std::uint16_t count = 0;    // registers or bits read or written (1 for FC 5, 6, 22)
    std::chrono::steady_clock::time_point at;
  };

  explicit ModbusTestServer(std::vector<std::uint8_t> units);
  ~ModbusTestServer();
  ModbusTestServer(const ModbusTestServer&) = delete;
  ModbusTestServer& operator=(const ModbusTestServer&) = delete;

  // Listens on 127.0.0.1:`port` (0 = any free port; port() tells which). Throws
  // std::runtime_error when the socket cannot be set up.
  void start_tcp(std::uint16_t port = 0);
  // Serves RTU on the serial device `path` (8N1 at `baud`). Throws std::runtime_error.
  void start_rtu(std::string path, int baud = 115200);
  // Closes the listener, every connection (or the serial port) and joins the thread. Register
  // images, faults and request logs are kept. Idempotent.
  void stop();
  // Starts again as before: the same port, or the same serial device.
  void restart();

  [[nodiscard]] std::uint16_t port() const { return port_; }

  // ---- register images (per unit) ----
  void set_registers(std::uint8_t unit, std::uint16_t address, std::vector<std::uint16_t> values);
  void set_input_registers(std::uint8_t unit, std::uint16_t address,
                           std::vector<std::uint16_t> values);
  void set_coil(std::uint8_t unit, std::uint16_t address, bool on);
  void set_discrete_input(std::uint8_t unit, std::uint16_t address, bool on);
  [[nodiscard]] std::vector<std::uint16_t> registers(std::uint8_t unit, std::uint16_t address,
                                                     std::size_t count) const;
  [[nodiscard]] bool coil(std::uint8_t unit, std::uint16_t address) const;

  // ---- faults (per unit) ----
  // Never answer (the request is still logged).
  void set_silent(std::uint8_t unit, bool silent);
  // Answer every request with Modbus exception `code` (0 = answer normally).
  void set_exception(std::uint8_t unit, std::uint8_t code);
  // Answer after `delay` (0 = at once). The only deliberate delay: it is the behaviour under test.
  void set_delay(std::uint8_t unit, std::chrono::milliseconds delay);
  // Answer exception 2 (illegal data address) to any read (FC 1-4, 23) covering `address`.
  void refuse_reads_at(std::uint8_t unit, std::uint16_t address);
  // Answer exception 1 (illegal function) to every request with function code `function`, as a
  // device that does not implement it (the request is still logged).
  void refuse_function(std::uint8_t unit, std::uint8_t function);

  // Closes every current client connection (TCP); returns once they are closed. The listener
  // stays open, so a client can reconnect.
  void drop_connections();

  // ---- request log ----
  [[nodiscard]] std::vector<Request> requests(std::uint8_t unit) const;
  // Requests of `unit` so far; `function` 0 counts every function code.
  [[nodiscard]] std::size_t request_count(std::uint8_t unit, std::uint8_t function = 0) const;
  // Waits until request_count(unit, function) >= n or `timeout` passes; the final comparison.
  bool wait_for_requests(std::uint8_t unit, std::size_t n, std::chrono::milliseconds timeout,
                         std::uint8_t function = 0) const;
  // TCP connections accepted so far.
  [[nodiscard]] std::size_t connections() const;

 private:
  struct Unit;
  struct ModbusFree {
    void operator()(modbus_t* ctx) const;
  };
  using ModbusPtr = std::unique_ptr<modbus_t, ModbusFree>;
  enum class Mode { None, Tcp, Rtu };

  void start();
  void run();
  void serve_tcp();
  void serve_rtu();
  // Handles one complete request frame (`header` bytes before the function code).
  void handle(const std::uint8_t* req, int length, int header);
  Unit* find(std::uint8_t unit);
  const Unit& get(std::uint8_t unit) const;
  Unit& get(std::uint8_t unit);
  std::size_t count_locked(std::uint8_t unit, std::uint8_t function) const;

  Mode mode_ = Mode::None;
  std::uint16_t port_ = 0;
  std::string device_;
  int baud_ = 115200;

  ModbusPtr ctx_;           // the server thread's while it runs
  UniqueFd listener_;       // TCP
  std::vector<UniqueFd> clients_;  // TCP; server thread only
  std::thread thread_;

  mutable std::mutex mutex_;  // guards: units_ (images, faults, logs), stop_, drop_gen_, done_gen_, accepted_
  mutable std::condition_variable changed_;
  std::map<std::uint8_t, std::unique_ptr<Unit>> units_;
  bool stop_ = false;
  std::uint64_t drop_gen_ = 0;  // drops requested
  std::uint64_t done_gen_ = 0;  // drops done
  std::size_t accepted_ = 0;
};

}  // namespace gw::test
