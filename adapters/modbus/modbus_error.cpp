#include "adapters/modbus/modbus_error.hpp"

#include <cerrno>
#include <string>

#include <modbus/modbus.h>

namespace gw::adapters::modbus {
namespace {

class ModbusCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "modbus"; }
  std::string message(int value) const override {
    if (value == ETIMEDOUT) return "no response (timeout)";
    return modbus_strerror(value);
  }
};

class Rs485Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "modbus.rs485"; }
  std::string message(int value) const override {
    return "the serial port refused RS-485 mode (TIOCGRS485/TIOCSRS485 ioctl: " +
           std::generic_category().message(value) +
           "); its driver cannot switch the transceiver: set serial.rs485: false, and serial.rts "
           "if the transceiver needs RTS driven";
  }
};

}  // namespace

std::error_code rs485_error(int err) {
  static const Rs485Category category;
  return {err == 0 ? EIO : err, category};
}

const std::error_category& modbus_category() {
  static const ModbusCategory category;
  return category;
}

std::error_code modbus_error(int err) { return {err == 0 ? EIO : err, modbus_category()}; }

std::uint8_t exception_code(std::error_code ec) {
  if (ec.category() != modbus_category()) return 0;
  const int v = ec.value();
  if (v >= EMBXILFUN && v <= EMBXGTAR) return static_cast<std::uint8_t>(v - MODBUS_ENOBASE);
  return 0;
}

Quality quality_of(std::error_code ec) {
  if (exception_code(ec) != 0) return Quality::BadException;
  if (ec.category() != modbus_category()) return Quality::BadConnection;
  switch (ec.value()) {
    case ETIMEDOUT: return Quality::BadTimeout;
    case EMBBADCRC: return Quality::BadCrc;
    case EMBBADDATA:
    case EMBBADEXC:
    case EMBUNKEXC:
    case EMBMDATA:
    case EMBBADSLAVE: return Quality::BadDecode;
    default: return is_connection_error(ec) ? Quality::BadConnection : Quality::BadTimeout;
  }
}

bool is_connection_error(std::error_code ec) {
  if (ec.category() != modbus_category()) return true;
  switch (ec.value()) {
    case ECONNRESET:
    case ECONNREFUSED:
    case ECONNABORTED:
    case EPIPE:
    case EBADF:
    case ENOTCONN:
    case ENOTSOCK:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENOENT:   // serial device gone
    case ENODEV:
    case ENXIO:
    case EIO:
      return true;
    default:
      return false;
  }
}

}  // namespace gw::adapters::modbus
