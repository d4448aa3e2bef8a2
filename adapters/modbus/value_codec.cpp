// adapters::modbus value codec: see value_codec.hpp. Every multi-register value goes through
// join()/spread(), so the four byte orders are defined in exactly one place for decode and encode.
//
// Thread safety: reentrant (no state; the error category is an immutable singleton).
#include "adapters/modbus/value_codec.hpp"

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/check.hpp"

namespace gw::adapters::modbus {
namespace {

class CodecCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "modbus.codec"; }
  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<CodecErrc>(value)) {
      case CodecErrc::WrongLength: return "register count does not match the point's type";
      case CodecErrc::NotANumber: return "floating-point value is NaN or infinite";
      case CodecErrc::BadBcd: return "BCD digit above 9";
      case CodecErrc::WrongType: return "value of the wrong kind for the point's type";
      case CodecErrc::OutOfRange: return "value outside the point's range or type limits";
    }
    return "unknown modbus codec error " + std::to_string(value);
  }
};

[[nodiscard]] constexpr std::uint16_t swap_bytes(std::uint16_t r) {
  return static_cast<std::uint16_t>((r << 8) | (r >> 8));
}

[[nodiscard]] std::uint16_t maybe_swap(std::uint16_t r, ByteOrder order) {
  return swaps_bytes(order) ? swap_bytes(r) : r;
}

// The big-endian value of 1, 2 or 4 registers as they came off the wire in `order`: undo the word
// swap (register order) and the byte swap (within each register).
[[nodiscard]] std::uint64_t join(std::span<const std::uint16_t> regs, ByteOrder order) {
  const std::size_t n = regs.size();
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint16_t r = regs[swaps_words(order) ? n - 1 - i : i];
    bits = (bits << 16) | maybe_swap(r, order);
  }
  return bits;
}

// The inverse of join(): the low `n` registers' worth of `bits` laid out on the wire in `order`.
[[nodiscard]] std::vector<std::uint16_t> spread(std::uint64_t bits, std::size_t n,
                                                ByteOrder order) {
  std::vector<std::uint16_t> regs(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Register i of the big-endian layout holds bits [16 * (n - 1 - i), 16 * (n - i)).
    const auto r = static_cast<std::uint16_t>(bits >> (16 * (n - 1 - i)));
    regs[swaps_words(order) ? n - 1 - i : i] = maybe_swap(r, order);
  }
  return regs;
}

// `digits` BCD nibbles of `bits`, most significant first.
[[nodiscard]] Result<Value> decode_bcd(std::uint64_t bits, int digits) {
  std::uint64_t v = 0;
  for (int i = digits - 1; i >= 0; --i) {
    const std::uint64_t nibble = (bits >> (4 * i)) & 0xF;
    if (nibble > 9) return fail(CodecErrc::BadBcd);
    v = v * 10 + nibble;
  }
  return Value{v};
}

[[nodiscard]] std::uint64_t encode_bcd(std::uint64_t v, int digits) {
  std::uint64_t bits = 0;
  for (int i = 0; i < digits; ++i) {
    bits |= (v % 10) << (4 * i);
    v /= 10;
  }
  return bits;
}

[[nodiscard]] Result<Value> decode_string(std::span<const std::uint16_t> regs, ByteOrder order) {
  std::string s;
  s.reserve(regs.size() * 2);
  for (const std::uint16_t reg : regs) {
    // Strings are in address order whatever the word order; only the byte swap applies.
    const std::uint16_t r = maybe_swap(reg, order);
    s.push_back(static_cast<char>(r >> 8));
    s.push_back(static_cast<char>(r & 0xFF));
  }
  const auto last = s.find_last_not_of(std::string_view("\0 ", 2));
  s.erase(last == std::string::npos ? 0 : last + 1);
  return Value{std::move(s)};
}

[[nodiscard]] bool has_linear_transform(const PointOptions& point) {
  return point.scale != 1.0 || point.offset != 0.0;
}

[[nodiscard]] std::optional<double> as_double(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&v)) return static_cast<double>(*u);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

// Rounds half away from zero to `decimals` places. raw * scale is rarely an exact decimal (1.005
// is stored as 1.00499999999999989...; times 100 it is 100.49999999999999), so a product within a
// few ulps below a tie counts as the tie: the operator configured a decimal rounding, not one of
// the binary approximation.
[[nodiscard]] double round_decimals(double x, std::uint8_t decimals) {
  const double factor = std::pow(10.0, decimals);
  const double y = x * factor;
  const double mag = std::abs(y);
  // From 2^52 on a double has no fractional part: nothing to round (and no NaN/Inf to touch).
  if (!(mag < 4503599627370496.0)) return x;
  double r = std::floor(mag);
  const double frac = mag - r;
  if (frac >= 0.5 || 0.5 - frac <= 4 * DBL_EPSILON * mag) r += 1.0;
  if (r == 0.0) return 0.0;  // -0.004 to 2 places is 0, not -0
  return std::copysign(r, y) / factor;
}

// 2^63 and 2^64 as doubles, exactly: the first values that do not fit int64 / uint64.
constexpr double kTwo63 = 9223372036854775808.0;
constexpr double kTwo64 = 18446744073709551616.0;

// The raw value (after the inverse transform) as a signed integer, rounded half away from zero.
[[nodiscard]] Result<std::int64_t> to_int64(const Value& raw) {
  if (const auto* i = std::get_if<std::int64_t>(&raw)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&raw)) {
    if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return fail(CodecErrc::OutOfRange);
    }
    return static_cast<std::int64_t>(*u);
  }
  const double d = std::round(std::get<double>(raw));
  if (!(d >= -kTwo63 && d < kTwo63)) return fail(CodecErrc::OutOfRange);  // NaN included
  return static_cast<std::int64_t>(d);
}

[[nodiscard]] Result<std::uint64_t> to_uint64(const Value& raw) {
  if (const auto* u = std::get_if<std::uint64_t>(&raw)) return *u;
  if (const auto* i = std::get_if<std::int64_t>(&raw)) {
    if (*i < 0) return fail(CodecErrc::OutOfRange);
    return static_cast<std::uint64_t>(*i);
  }
  const double d = std::round(std::get<double>(raw));
  if (!(d >= 0.0 && d < kTwo64)) return fail(CodecErrc::OutOfRange);  // NaN included
  return static_cast<std::uint64_t>(d);
}

[[nodiscard]] double to_double(const Value& raw) { return *as_double(raw); }

template <class T>
[[nodiscard]] Result<std::int64_t> signed_in(const Value& raw) {
  GW_TRY(v, to_int64(raw));
  if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
    return fail(CodecErrc::OutOfRange);
  }
  return v;
}

[[nodiscard]] Result<std::uint64_t> unsigned_in(const Value& raw, std::uint64_t max) {
  GW_TRY(v, to_uint64(raw));
  if (v > max) return fail(CodecErrc::OutOfRange);
  return v;
}

// Two's complement bits of a signed value, truncated to the type's width by spread().
[[nodiscard]] std::uint64_t bits_of(std::int64_t v) { return static_cast<std::uint64_t>(v); }

}  // namespace

std::error_code make_error_code(CodecErrc e) {
  static const CodecCategory category;
  return {static_cast<int>(e), category};
}

Result<Value> decode_registers(const PointOptions& point, ByteOrder device_order,
                               std::span<const std::uint16_t> regs) {
  const ByteOrder order = point.byte_order.value_or(device_order);
  if (regs.size() != register_count(point.type, point.length)) {
    return fail(CodecErrc::WrongLength);
  }
  switch (point.type) {
    case DataType::Bool: return Value{regs[0] != 0};
    case DataType::Bit:
      GW_CHECK(point.bit < 16);  // config/ guarantees 0..15
      return Value{((regs[0] >> point.bit) & 1U) != 0};
    case DataType::Int16:
      return Value{std::int64_t{static_cast<std::int16_t>(join(regs, order))}};
    case DataType::Uint16: return Value{std::uint64_t{join(regs, order)}};
    case DataType::Int32:
      return Value{std::int64_t{static_cast<std::int32_t>(join(regs, order))}};
    case DataType::Uint32: return Value{std::uint64_t{join(regs, order)}};
    case DataType::Int64: return Value{static_cast<std::int64_t>(join(regs, order))};
    case DataType::Uint64: return Value{std::uint64_t{join(regs, order)}};
    case DataType::Float32: {
      const auto f = std::bit_cast<float>(static_cast<std::uint32_t>(join(regs, order)));
      if (!std::isfinite(f)) return fail(CodecErrc::NotANumber);
      return Value{static_cast<double>(f)};
    }
    case DataType::Float64: {
      const auto d = std::bit_cast<double>(join(regs, order));
      if (!std::isfinite(d)) return fail(CodecErrc::NotANumber);
      return Value{d};
    }
    case DataType::String: return decode_string(regs, order);
    case DataType::Bcd16: return decode_bcd(join(regs, order), 4);
    case DataType::Bcd32: return decode_bcd(join(regs, order), 8);
  }
  return fail(CodecErrc::WrongType);  // unreachable: every DataType is handled above
}

Value to_engineering(const PointOptions& point, const Value& raw) {
  if (!has_linear_transform(point) && !point.decimals) return raw;
  const auto x = as_double(raw);
  if (!x) return raw;  // bool, string, monostate: never transformed
  double y = *x * point.scale + point.offset;
  if (point.decimals) y = round_decimals(y, *point.decimals);
  return Value{y};
}

Result<std::vector<std::uint16_t>> encode_registers(const PointOptions& point,
                                                    ByteOrder device_order, const Value& v) {
  const ByteOrder order = point.byte_order.value_or(device_order);
  const std::size_t n = register_count(point.type, point.length);

  switch (point.type) {
    case DataType::Bit: return fail(CodecErrc::WrongType);
    case DataType::Bool: {
      const auto* b = std::get_if<bool>(&v);
      if (b == nullptr) return fail(CodecErrc::WrongType);
      return std::vector<std::uint16_t>{static_cast<std::uint16_t>(*b ? 1 : 0)};
    }
    case DataType::String: {
      const auto* s = std::get_if<std::string>(&v);
      if (s == nullptr) return fail(CodecErrc::WrongType);
      if (s->size() > n * 2) return fail(CodecErrc::OutOfRange);
      std::vector<std::uint16_t> regs(n, 0);  // NUL padding
      for (std::size_t i = 0; i < s->size(); ++i) {
        const auto byte = static_cast<std::uint16_t>(static_cast<unsigned char>((*s)[i]));
        regs[i / 2] = static_cast<std::uint16_t>(regs[i / 2] | (i % 2 == 0 ? byte << 8 : byte));
      }
      for (auto& r : regs) r = maybe_swap(r, order);
      return regs;
    }
    default: break;
  }

  // Numeric types: range-check the engineering value, then undo the transform.
  const auto eng = as_double(v);
  if (!eng) return fail(CodecErrc::WrongType);  // bool, string or monostate
  if (!std::isfinite(*eng)) return fail(CodecErrc::OutOfRange);
  if ((point.min && *eng < *point.min) || (point.max && *eng > *point.max)) {
    return fail(CodecErrc::OutOfRange);
  }
  // Without scale/offset an integer stays exact (a uint64 counter above 2^53 survives).
  const Value raw = has_linear_transform(point) ? Value{(*eng - point.offset) / point.scale} : v;

  switch (point.type) {
    case DataType::Int16: {
      GW_TRY(i, signed_in<std::int16_t>(raw));
      return spread(bits_of(i), n, order);
    }
    case DataType::Int32: {
      GW_TRY(i, signed_in<std::int32_t>(raw));
      return spread(bits_of(i), n, order);
    }
    case DataType::Int64: {
      GW_TRY(i, signed_in<std::int64_t>(raw));
      return spread(bits_of(i), n, order);
    }
    case DataType::Uint16: {
      GW_TRY(u, unsigned_in(raw, std::numeric_limits<std::uint16_t>::max()));
      return spread(u, n, order);
    }
    case DataType::Uint32: {
      GW_TRY(u, unsigned_in(raw, std::numeric_limits<std::uint32_t>::max()));
      return spread(u, n, order);
    }
    case DataType::Uint64: {
      GW_TRY(u, unsigned_in(raw, std::numeric_limits<std::uint64_t>::max()));
      return spread(u, n, order);
    }
    case DataType::Bcd16: {
      GW_TRY(u, unsigned_in(raw, 9'999));
      return spread(encode_bcd(u, 4), n, order);
    }
    case DataType::Bcd32: {
      GW_TRY(u, unsigned_in(raw, 99'999'999));
      return spread(encode_bcd(u, 8), n, order);
    }
    case DataType::Float32: {
      const double d = to_double(raw);
      // Converting a double outside float's range is undefined behaviour, not infinity.
      if (!std::isfinite(d) || std::abs(d) > FLT_MAX) return fail(CodecErrc::OutOfRange);
      return spread(std::bit_cast<std::uint32_t>(static_cast<float>(d)), n, order);
    }
    case DataType::Float64: {
      const double d = to_double(raw);
      if (!std::isfinite(d)) return fail(CodecErrc::OutOfRange);
      return spread(std::bit_cast<std::uint64_t>(d), n, order);
    }
    case DataType::Bool:
    case DataType::Bit:
    case DataType::String: break;  // handled above
  }
  return fail(CodecErrc::WrongType);  // unreachable: every DataType is handled above
}

}  // namespace gw::adapters::modbus
