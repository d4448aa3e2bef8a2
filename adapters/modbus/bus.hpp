// adapters::modbus::Bus: one physical Modbus link (a TCP connection, or a serial port with its
// RS-485 bus) as blocking request/response calls. The link thread owns it; every call blocks for
// at most the response timeout.
//
//   auto bus = make_bus(link_options);
//   if (auto ok = bus->open(); !ok) ...                       // connect / open the port
//   std::uint16_t regs[4];
//   auto r = bus->read_registers(1, Table::HoldingRegister, 100, regs);
//
// Errors are in modbus_category() (see modbus_error.hpp): device exceptions, timeouts, bad
// frames and transport failures, which is_connection_error() tells apart.
//
// Ownership: owns the libmodbus context (closed and freed on destruction).
// Thread safety: none; one thread (the link's) uses a Bus.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "adapters/modbus/options.hpp"
#include "core/result.hpp"

namespace gw::adapters::modbus {

// The function code that writes one coil or one register: FC 5 / 6, or FC 15 / 16 (the "write
// multiple" codes with a count of 1) for devices that implement only those
// (DeviceOptions::write_multiple).
enum class WriteFunction : std::uint8_t { Single, Multiple };

class Bus {
 public:
  virtual ~Bus() = default;

  // Connects (TCP) or opens and configures the serial port. Idempotent after close().
  virtual Result<void> open() = 0;
  virtual void close() = 0;
  [[nodiscard]] virtual bool is_open() const = 0;

  // FC 1 / 2: `bits.size()` coils or discrete inputs from `address`, one byte (0/1) each.
  virtual Result<void> read_bits(std::uint8_t unit, Table table, std::uint16_t address,
                                 std::span<std::uint8_t> bits) = 0;
  // FC 3 / 4: `regs.size()` holding or input registers from `address`.
  virtual Result<void> read_registers(std::uint8_t unit, Table table, std::uint16_t address,
                                      std::span<std::uint16_t> regs) = 0;
  // FC 5, or FC 15 with one coil for WriteFunction::Multiple.
  virtual Result<void> write_coil(std::uint8_t unit, std::uint16_t address, bool on,
                                  WriteFunction fc) = 0;
  // FC 6 for one register (FC 16 for WriteFunction::Multiple), FC 16 for more.
  virtual Result<void> write_registers(std::uint8_t unit, std::uint16_t address,
                                       std::span<const std::uint16_t> regs, WriteFunction fc) = 0;
  // FC 22: register = (register & and_mask) | (or_mask & ~and_mask).
  virtual Result<void> mask_write(std::uint8_t unit, std::uint16_t address, std::uint16_t and_mask,
                                  std::uint16_t or_mask) = 0;
  // FC 23: writes `write` at `write_address`, then reads `read` from `read_address`, in one
  // transaction.
  virtual Result<void> write_and_read(std::uint8_t unit, std::uint16_t write_address,
                                      std::span<const std::uint16_t> write,
                                      std::uint16_t read_address,
                                      std::span<std::uint16_t> read) = 0;

  // Time on the wire for a request/response pair of this many bytes: 0 for TCP, the character
  // time for serial links. The scheduler uses it for the RTU inter-frame gap and bus-time budgets.
  [[nodiscard]] virtual std::chrono::microseconds character_time() const = 0;

  // ---- raw bytes, for serial instruments sharing the bus (a mixed RS-485 bus) ----
  // The port stays the Bus's: these lend its line for one non-Modbus transaction between two
  // Modbus ones, on the same thread. Only the libmodbus RTU bus supports them; the others return
  // std::errc::operation_not_supported.
  using TimePoint = std::chrono::steady_clock::time_point;
  // Discards whatever input is waiting (a late answer to an earlier transaction).
  virtual void drain() {}
  // Writes all of `bytes` (and waits until they left the UART) before `deadline`. Errors:
  // std::errc::timed_out, write()'s errno, ENOTCONN when the bus is not open.
  virtual Result<void> raw_write(std::string_view bytes, TimePoint deadline);
  // Reads what is available into `buf`, waiting until `deadline` for the first byte; 0 when the
  // deadline passed. Errors: read()'s errno, EIO for a hang-up, ENOTCONN.
  virtual Result<std::size_t> raw_read(std::span<char> buf, TimePoint deadline);
};

// A Bus for `link`: libmodbus TCP for LinkKind::Tcp, libmodbus RTU for LinkKind::Rtu, and RTU
// framing over a TCP socket (our code: libmodbus has no such backend) for LinkKind::RtuOverTcp.
[[nodiscard]] std::unique_ptr<Bus> make_bus(const LinkOptions& link);

}  // namespace gw::adapters::modbus
