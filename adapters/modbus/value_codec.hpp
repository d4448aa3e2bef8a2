// adapters::modbus value codec: registers <-> typed values, for every DataType and ByteOrder, and
// the engineering transform (scale, offset, rounding). Pure functions: no I/O, no state.
//
//   std::uint16_t regs[2] = {0x4148, 0x0000};                 // 12.5f as ABCD
//   auto v = decode_registers(point, ByteOrder::ABCD, regs);  // Value{12.5}
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "adapters/modbus/options.hpp"
#include "adapters/reading.hpp"
#include "core/result.hpp"

namespace gw::adapters::modbus {

// Errors of the codec, in their own category ("modbus.codec").
enum class CodecErrc {
  WrongLength = 1,  // the register span is not register_count() long
  NotANumber,       // a float register image is NaN or infinite
  BadBcd,           // a nibble above 9
  WrongType,        // a value of the wrong kind for the point (encode)
  OutOfRange,       // a value the point's type cannot hold, or outside min/max (encode)
};
[[nodiscard]] std::error_code make_error_code(CodecErrc e);

// The raw value of `point` from its registers (register_count(point.type, point.length) of them,
// first = lowest address). `device_order` applies unless the point overrides it. Result: bool for
// Bool and Bit; int64 for Int16/32/64; uint64 for Uint16/32/64 and BCD; double for floats; string.
//  - Bool: a coil or discrete input handed over as one element; 0 = false, anything else = true.
//  - Bit: bit `point.bit` (0 = LSB) of the register value as read; the byte order does not apply.
//  - 16-bit types and Bcd16: only the byte swap of the order applies.
//  - Bcd16/Bcd32: the register(s) combined per the byte order, then 4/8 nibbles, most
//    significant first.
//  - String: 2 characters per register in address order (the word swap never applies), high
//    byte first unless the order swaps bytes; trailing NULs and spaces are removed (embedded
//    ones are kept).
// Errors: WrongLength, NotANumber (float NaN or infinity), BadBcd (a nibble above 9).
[[nodiscard]] Result<Value> decode_registers(const PointOptions& point, ByteOrder device_order,
                                             std::span<const std::uint16_t> regs);

// The published value: raw * scale + offset rounded to decimals (half away from zero), as a
// double, when the point has a transform (scale != 1, offset != 0 or decimals set); the raw value
// unchanged otherwise (bools and strings are never transformed).
[[nodiscard]] Value to_engineering(const PointOptions& point, const Value& raw);

// The registers to write for the engineering value `v` (bool, integer, double or string as the
// point's type allows): the inverse of to_engineering, (v - offset) / scale, rounded to the
// nearest integer (half away from zero) for integer and BCD types, range-checked first against
// min/max on the engineering value and then against the type's limits, then encoded in the
// point's byte order. Without scale/offset an integer value is written exactly.
//  - Bool: `v` must be a bool; the result is one element, 0 or 1, for the link's coil write.
//  - Numeric types: `v` must be int64, uint64 or double; NaN and infinity are OutOfRange.
//  - String: `v` must be a string of at most 2 * length bytes, padded with NULs.
// For DataType::Bit this is not defined (use a mask write): WrongType.
// Errors: WrongType (Bit, or a value of the wrong kind), OutOfRange.
[[nodiscard]] Result<std::vector<std::uint16_t>> encode_registers(const PointOptions& point,
                                                                  ByteOrder device_order,
                                                                  const Value& v);

}  // namespace gw::adapters::modbus

template <>
struct std::is_error_code_enum<gw::adapters::modbus::CodecErrc> : std::true_type {};
