// Modbus RTU over TCP: RTU frames (unit id, PDU, CRC-16) carried unchanged through a TCP socket,
// as "transparent" serial device servers (Moxa NPort, USR-TCP232, ...) expect. libmodbus has no
// such backend, so the framing is ours: one request at a time, the answer read to its expected
// length within the response timeout, CRC and unit id checked.
//
// Ownership and thread safety: as Bus.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "adapters/modbus/bus.hpp"

namespace gw::adapters::modbus {

[[nodiscard]] std::unique_ptr<Bus> make_rtu_over_tcp_bus(const LinkOptions& link);

// CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) of `bytes`; on the wire low byte first.
[[nodiscard]] std::uint16_t crc16_modbus(std::span<const std::uint8_t> bytes);

}  // namespace gw::adapters::modbus
