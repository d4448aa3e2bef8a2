// Durations and sizes written with units, as everywhere in the configuration file.
//
// Durations: a whole number and one unit: ms, s, m, h, d ("250ms", "5s", "10m", "1h", "1d").
// A bare number is rejected ("10" could mean seconds or milliseconds); so are fractions ("1.5s":
// use "1500ms") and signs.
// Sizes: a whole number and one unit: B; KiB, MiB, GiB (powers of 1024); kB, MB, GB (powers of
// 1000). A bare number is rejected too ("256" is more likely a forgotten KiB than 256 bytes);
// "K", "KB", "M"... are rejected as ambiguous. Units are case-sensitive. Spaces between the
// number and the unit are allowed ("256 KiB").
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gw::config {

// The duration, or nullopt with `error` set to a message for the user (which never repeats the
// key path: the caller adds it).
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                                      std::string& error);
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text, std::string& error);

// The shortest exact spelling in the largest unit that divides the value: 600000ms → "10m",
// 1500ms → "1500ms", 0 → "0s"; 262144 → "256KiB", 1000 → "1kB", 1023 → "1023B".
[[nodiscard]] std::string format_duration(std::chrono::milliseconds d);
[[nodiscard]] std::string format_size(std::uint64_t bytes);

// ECMA-262 patterns for the shape parse_duration / parse_size accept (a whole number, optional
// spaces, one unit), for the JSON Schema: "^[0-9]+ *(?:ms|s|m|h|d)$".
[[nodiscard]] std::string duration_pattern();
[[nodiscard]] std::string size_pattern();

}  // namespace gw::config
