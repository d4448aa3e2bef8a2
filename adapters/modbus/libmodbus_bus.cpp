// Bus over libmodbus: Modbus TCP and Modbus RTU on a serial port.
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include <modbus/modbus.h>

#include "adapters/modbus/bus.hpp"
#include "adapters/modbus/modbus_error.hpp"
#include "adapters/modbus/rtu_over_tcp_bus.hpp"

namespace gw::adapters::modbus {
namespace {

struct ModbusFree {
  void operator()(modbus_t* c) const {
    modbus_close(c);
    modbus_free(c);
  }
};
using ModbusPtr = std::unique_ptr<modbus_t, ModbusFree>;

Failure last_error() { return Failure{modbus_error(errno)}; }

// poll() on `fd` for `events` until `deadline`: the revents, 0 when the deadline passed.
Result<short> wait_fd(int fd, short events, Bus::TimePoint deadline) {
  for (;;) {
    const auto left = deadline - std::chrono::steady_clock::now();
    const auto ms = std::max<std::int64_t>(
        0, std::chrono::ceil<std::chrono::milliseconds>(left).count());
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(ms, 60'000)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return last_error();
    if (rc == 0 && ms > 60'000) continue;
    return rc == 0 ? short{0} : p.revents;
  }
}

class LibmodbusBus final : public Bus {
 public:
  explicit LibmodbusBus(const LinkOptions& link) : link_(link) {}

  Result<void> open() override {
    close();
    ModbusPtr ctx;
    if (link_.kind == LinkKind::Tcp) {
      ctx.reset(modbus_new_tcp_pi(link_.host.c_str(), std::to_string(link_.port).c_str()));
    } else {
      const auto& s = link_.serial;
      const char parity = s.parity == Parity::Even ? 'E' : s.parity == Parity::Odd ? 'O' : 'N';
      ctx.reset(modbus_new_rtu(s.device.c_str(), static_cast<int>(s.baud), parity, s.data_bits,
                               s.stop_bits));
    }
    if (!ctx) return last_error();
    const auto timeout = link_.response_timeout;
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    const auto usecs = std::chrono::duration_cast<std::chrono::microseconds>(timeout - secs);
    if (modbus_set_response_timeout(ctx.get(), static_cast<std::uint32_t>(secs.count()),
                                    static_cast<std::uint32_t>(usecs.count())) != 0) {
      return last_error();
    }
    if (modbus_connect(ctx.get()) != 0) return last_error();
    if (link_.kind == LinkKind::Rtu) {
      const auto& s = link_.serial;
      if (s.rs485 && modbus_rtu_set_serial_mode(ctx.get(), MODBUS_RTU_RS485) != 0) {
        return fail(rs485_error(errno));
      }
      if (s.rts != SerialOptions::Rts::None) {
        const int mode = s.rts == SerialOptions::Rts::Up ? MODBUS_RTU_RTS_UP : MODBUS_RTU_RTS_DOWN;
        if (modbus_rtu_set_rts(ctx.get(), mode) != 0) return last_error();
        if (s.rts_delay.count() > 0 &&
            modbus_rtu_set_rts_delay(ctx.get(), static_cast<int>(s.rts_delay.count())) != 0) {
          return last_error();
        }
      }
      // Whatever a device sent before we were listening is not an answer to us.
      modbus_flush(ctx.get());
    }
    ctx_ = std::move(ctx);
    return {};
  }

  void close() override { ctx_.reset(); }
  bool is_open() const override { return ctx_ != nullptr; }

  Result<void> read_bits(std::uint8_t unit, Table table, std::uint16_t address,
                         std::span<std::uint8_t> bits) override {
    GW_TRY_VOID(select(unit));
    const int n = static_cast<int>(bits.size());
    const int rc = table == Table::Coil ? modbus_read_bits(ctx_.get(), address, n, bits.data())
                                        : modbus_read_input_bits(ctx_.get(), address, n, bits.data());
    return check(rc);
  }

  Result<void> read_registers(std::uint8_t unit, Table table, std::uint16_t address,
                              std::span<std::uint16_t> regs) override {
    GW_TRY_VOID(select(unit));
    const int n = static_cast<int>(regs.size());
    const int rc = table == Table::HoldingRegister
                       ? modbus_read_registers(ctx_.get(), address, n, regs.data())
                       : modbus_read_input_registers(ctx_.get(), address, n, regs.data());
    return check(rc);
  }

  Result<void> write_coil(std::uint8_t unit, std::uint16_t address, bool on,
                          WriteFunction fc) override {
    GW_TRY_VOID(select(unit));
    if (fc == WriteFunction::Multiple) {
      const std::uint8_t bit = on ? 1 : 0;
      return check(modbus_write_bits(ctx_.get(), address, 1, &bit));
    }
    return check(modbus_write_bit(ctx_.get(), address, on ? 1 : 0));
  }

  Result<void> write_registers(std::uint8_t unit, std::uint16_t address,
                               std::span<const std::uint16_t> regs, WriteFunction fc) override {
    GW_TRY_VOID(select(unit));
    if (regs.size() == 1 && fc == WriteFunction::Single) {
      return check(modbus_write_register(ctx_.get(), address, regs[0]));
    }
    return check(
        modbus_write_registers(ctx_.get(), address, static_cast<int>(regs.size()), regs.data()));
  }

  Result<void> mask_write(std::uint8_t unit, std::uint16_t address, std::uint16_t and_mask,
                          std::uint16_t or_mask) override {
    GW_TRY_VOID(select(unit));
    return check(modbus_mask_write_register(ctx_.get(), address, and_mask, or_mask));
  }

  Result<void> write_and_read(std::uint8_t unit, std::uint16_t write_address,
                              std::span<const std::uint16_t> write, std::uint16_t read_address,
                              std::span<std::uint16_t> read) override {
    GW_TRY_VOID(select(unit));
    return check(modbus_write_and_read_registers(
        ctx_.get(), write_address, static_cast<int>(write.size()), write.data(), read_address,
        static_cast<int>(read.size()), read.data()));
  }

  // The RTU context's own file descriptor: libmodbus opened and configured the port, and stays its
  // only owner (docs/serial.md, "Mixed buses").
  void drain() override {
    if (ctx_ && link_.kind == LinkKind::Rtu) {
      modbus_flush(ctx_.get());
      stale_ = false;
    }
  }

  Result<void> raw_write(std::string_view bytes, TimePoint deadline) override {
    GW_TRY(fd, raw_fd());
    while (!bytes.empty()) {
      GW_TRY(ready, wait_fd(fd, POLLOUT, deadline));
      if (ready == 0) return fail(std::errc::timed_out);
      if ((ready & (POLLERR | POLLHUP)) != 0) return Failure{modbus_error(EIO)};
      const ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) return last_error();
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    // The request has left the UART before the answer's timeout starts counting.
    (void)::tcdrain(fd);
    return {};
  }

  Result<std::size_t> raw_read(std::span<char> buf, TimePoint deadline) override {
    GW_TRY(fd, raw_fd());
    for (;;) {
      GW_TRY(ready, wait_fd(fd, POLLIN, deadline));
      if (ready == 0) return std::size_t{0};
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      const bool hung_up = (ready & (POLLERR | POLLHUP)) != 0;
      if (n < 0 && (errno == EINTR || errno == EAGAIN) && !hung_up) continue;
      if (n < 0 && errno != EAGAIN) return last_error();
      if (n <= 0) return Failure{modbus_error(EIO)};  // end of file or a hang-up: the port is gone
      return static_cast<std::size_t>(n);
    }
  }

  std::chrono::microseconds character_time() const override {
    if (link_.kind != LinkKind::Rtu) return std::chrono::microseconds{0};
    const auto& s = link_.serial;
    const unsigned bits = 1U + s.data_bits + (s.parity == Parity::None ? 0U : 1U) + s.stop_bits;
    return std::chrono::microseconds{(bits * 1'000'000ULL + s.baud - 1) / s.baud};
  }

 private:
  Result<void> select(std::uint8_t unit) {
    if (!ctx_) return Failure{modbus_error(ENOTCONN)};
    if (modbus_set_slave(ctx_.get(), unit) != 0) return last_error();
    // The answer to a timed-out request may arrive any time later, after check()'s flush; taken
    // for the answer to this request it fails it (TCP: wrong transaction id), whose own answer
    // then arrives late in turn, and the link never gets back in step. Discard it now.
    if (stale_) {
      modbus_flush(ctx_.get());
      stale_ = false;
    }
    return {};
  }

  Result<int> raw_fd() const {
    if (!ctx_) return Failure{modbus_error(ENOTCONN)};
    if (link_.kind != LinkKind::Rtu) return fail(std::errc::operation_not_supported);
    return modbus_get_socket(ctx_.get());
  }

  Result<void> check(int rc) {
    if (rc >= 0) return {};
    const int err = errno;
    // A late or garbled answer must not be taken for the answer to the next request.
    if (err == ETIMEDOUT || err == EMBBADDATA || err == EMBBADCRC || err == EMBMDATA) {
      modbus_flush(ctx_.get());
      stale_ = true;
    }
    return Failure{modbus_error(err)};
  }

  LinkOptions link_;
  ModbusPtr ctx_;
  bool stale_ = false;  // a request failed: its answer may still come
};

}  // namespace

Result<void> Bus::raw_write(std::string_view, TimePoint) {
  return fail(std::errc::operation_not_supported);
}

Result<std::size_t> Bus::raw_read(std::span<char>, TimePoint) {
  return fail(std::errc::operation_not_supported);
}

std::unique_ptr<Bus> make_bus(const LinkOptions& link) {
  if (link.kind == LinkKind::RtuOverTcp) return make_rtu_over_tcp_bus(link);
  return std::make_unique<LibmodbusBus>(link);
}

}  // namespace gw::adapters::modbus
