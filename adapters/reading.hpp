// adapters::Reading: one acquired value of one point, as the adapters hand it to the gateway.
//
// The value is what the device said after decoding and scaling; quality says whether it is to be
// trusted and, when not, why. The timestamp is when the response arrived (not when the request
// was sent, not when the message is published). A bad reading carries no value: a dead device is
// published as bad quality, never as its last value with a fresh timestamp.
//
// Ownership: a value type (owns its strings). Thread safety: a value type; readings cross from a
// link thread to the core thread by value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace gw::adapters {

// A decoded point value. Integers keep their signedness so that a uint64 counter or an int64
// energy total is published exactly, not through a double.
using Value = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string>;

enum class Quality : std::uint8_t {
  Good,
  BadTimeout,     // no (complete) answer within the response timeout
  BadException,   // the device answered with a Modbus exception (code in Reading::exception)
  BadCrc,         // a frame arrived but its checksum was wrong
  BadConnection,  // the TCP connection or serial port is down
  BadDecode,      // the answer had the wrong length or a value that does not decode (NaN, BCD)
  BadConfig,      // the point cannot be read as configured (e.g. the device refuses the address)
};
inline constexpr std::size_t kQualityCount = 7;

// "good", "bad_timeout", ... as published in payloads.
[[nodiscard]] std::string_view to_string(Quality q);

struct Reading {
  std::string link;
  std::string device;
  std::string point;
  Value value;  // std::monostate unless quality == Good
  Quality quality = Quality::Good;
  std::uint8_t exception = 0;  // Modbus exception code when quality == BadException
  std::string error;           // human-readable reason when quality != Good
  std::chrono::system_clock::time_point ts;
  std::string unit;  // engineering unit from the config ("°C"), may be empty
};

}  // namespace gw::adapters
