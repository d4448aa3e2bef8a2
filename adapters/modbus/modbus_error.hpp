// adapters::modbus errors: libmodbus reports failures through errno, either a system errno
// (ETIMEDOUT, ECONNRESET, ...) or one of its own EMB* values (exceptions from the device and
// protocol errors). modbus_error() wraps such a value in the "modbus" error category, whose
// message is modbus_strerror's, and the helpers below tell the link what to do with it.
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <system_error>

#include "adapters/reading.hpp"

namespace gw::adapters::modbus {

[[nodiscard]] const std::error_category& modbus_category();

// `err` is the errno a libmodbus call left behind.
[[nodiscard]] std::error_code modbus_error(int err);

// The port refused RS-485 mode (SerialOptions::rs485): `err` is the errno of libmodbus's
// TIOCGRS485 / TIOCSRS485 ioctl, e.g. ENOTTY for a port whose driver has no RS-485 support (a USB adapter that switches
// direction itself, a pseudo-terminal). Category "modbus.rs485"; the message says what failed and
// what to configure instead. A connection error: the link keeps retrying with backoff.
[[nodiscard]] std::error_code rs485_error(int err);

// The Modbus exception code (1..11) the device answered with, or 0 for anything else.
[[nodiscard]] std::uint8_t exception_code(std::error_code ec);

// The quality a point read that failed with `ec` gets.
[[nodiscard]] Quality quality_of(std::error_code ec);

// True when the transport itself is broken (connection reset or refused, port gone): the link
// closes it and reopens with backoff. Timeouts and bad frames are not: the bus is still usable.
[[nodiscard]] bool is_connection_error(std::error_code ec);

}  // namespace gw::adapters::modbus
