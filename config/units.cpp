#include "config/units.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <utility>
#include <vector>

#include "config/suggest.hpp"

namespace gw::config {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

constexpr std::array<Unit, 5> kDurationUnits{{
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};
// Largest first, binary before decimal, so format_size prefers KiB for 1024-multiples.
constexpr std::array<Unit, 7> kSizeUnits{{{"GiB", 1ULL << 30},
                                          {"GB", 1'000'000'000},
                                          {"MiB", 1ULL << 20},
                                          {"MB", 1'000'000},
                                          {"KiB", 1ULL << 10},
                                          {"kB", 1'000},
                                          {"B", 1}}};

template <std::size_t N>
std::vector<std::string> names(const std::array<Unit, N>& units) {
  std::vector<std::string> out;
  for (const auto& u : units) out.emplace_back(u.name);
  return out;
}

// "<digits>[ ]*<unit>" → value in base units. `what` is "duration" or "size", `examples` is
// appended to messages about the shape.
template <std::size_t N>
std::optional<std::uint64_t> parse_with_units(std::string_view text, const std::array<Unit, N>& units,
                                              std::string_view examples, std::string& error) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  const std::string_view digits = text.substr(0, i);
  std::size_t j = i;
  while (j < text.size() && text[j] == ' ') ++j;
  const std::string_view unit = text.substr(j);
  const std::string quoted = "'" + std::string(text) + "'";
  if (digits.empty()) {
    error = quoted + " is not a whole number with a unit, like " + std::string(examples);
    return std::nullopt;
  }
  if (unit.empty()) {
    error = quoted + " has no unit; add one, like " + std::string(examples);
    return std::nullopt;
  }
  if (unit.front() == '.' || unit.front() == ',') {
    error = quoted + ": fractions are not supported; use a smaller unit";
    return std::nullopt;
  }
  // "0x10s", "5s 3ms": not one number and one unit, whatever the letters are.
  for (char c : unit) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      error = quoted + " is not a whole number with a unit, like " + std::string(examples);
      return std::nullopt;
    }
  }
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  (void)end;
  for (const auto& u : units) {
    if (u.name != unit) continue;
    if (ec != std::errc() || n > std::numeric_limits<std::uint64_t>::max() / u.factor) {
      error = quoted + " is too large";
      return std::nullopt;
    }
    return n * u.factor;
  }
  if constexpr (N == kSizeUnits.size()) {
    if (unit == "K" || unit == "KB" || unit == "k" || unit == "M" || unit == "G") {
      error = quoted + ": unit '" + std::string(unit) +
              "' is ambiguous; use KiB/MiB/GiB (1024-based) or kB/MB/GB (1000-based)";
      return std::nullopt;
    }
  }
  std::string hint;
  if constexpr (N == kDurationUnits.size()) {
    // Edit distance would offer "ms" for "mins"; spelled-out units map to what they mean.
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kSpelled{{
        {"msec", "ms"}, {"millis", "ms"}, {"sec", "s"}, {"secs", "s"}, {"second", "s"},
        {"seconds", "s"}, {"min", "m"}, {"mins", "m"}, {"minute", "m"}, {"minutes", "m"},
        {"hr", "h"}, {"hrs", "h"}, {"hour", "h"}, {"hours", "h"}, {"day", "d"}, {"days", "d"}}};
    for (const auto& [spelled, u] : kSpelled) {
      if (spelled == unit) hint = "; did you mean '" + std::string(u) + "'?";
    }
    // Units are case-sensitive ("10S", "5MS"); say which one was meant.
    const auto lower = [](std::string_view w) {
      std::string out(w);
      for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      return out;
    };
    for (const auto& u : units) {
      if (hint.empty() && lower(unit) == u.name) {
        hint = "; did you mean '" + std::string(u.name) + "'? Units are case-sensitive";
      }
    }
  } else {
    hint = did_you_mean(unit, names(units));
  }
  std::string list;
  for (std::size_t k = 0; k < N; ++k) {
    list += std::string(units[N - 1 - k].name);
    list += k + 2 < N ? ", " : (k + 2 == N ? " or " : "");
  }
  error = quoted + ": unknown unit '" + std::string(unit) + "'" + hint +
          " (units: " + list + ")";
  return std::nullopt;
}

template <std::size_t N>
std::string format_with_units(std::uint64_t v, const std::array<Unit, N>& units,
                              std::string_view zero_unit) {
  if (v == 0) return "0" + std::string(zero_unit);
  for (const auto& u : units) {
    if (v % u.factor == 0) return std::to_string(v / u.factor) + std::string(u.name);
  }
  return std::to_string(v);  // unreachable: the last unit has factor 1
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string& error) {
  auto ms = parse_with_units(text, kDurationUnits, "250ms, 5s, 10m, 1h or 1d", error);
  if (!ms) return std::nullopt;
  if (*ms > static_cast<std::uint64_t>(std::numeric_limits<std::chrono::milliseconds::rep>::max())) {
    error = "'" + std::string(text) + "' is too large";
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(*ms));
}

std::optional<std::uint64_t> parse_size(std::string_view text, std::string& error) {
  return parse_with_units(text, kSizeUnits, "512B, 256KiB, 1MiB or 1GiB", error);
}

std::string format_duration(std::chrono::milliseconds d) {
  if (d.count() < 0) return "-" + format_duration(-d);
  return format_with_units(static_cast<std::uint64_t>(d.count()), kDurationUnits, "s");
}

std::string format_size(std::uint64_t bytes) { return format_with_units(bytes, kSizeUnits, "B"); }

namespace {
template <std::size_t N>
std::string pattern_for(const std::array<Unit, N>& units) {
  std::string alternatives;
  // Smallest first, as the messages list them.
  for (std::size_t k = 0; k < N; ++k) {
    alternatives += (k == 0 ? "" : "|") + std::string(units[N - 1 - k].name);
  }
  return "^[0-9]+ *(?:" + alternatives + ")$";
}
}  // namespace

std::string duration_pattern() { return pattern_for(kDurationUnits); }
std::string size_pattern() { return pattern_for(kSizeUnits); }

}  // namespace gw::config
