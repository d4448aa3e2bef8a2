// gw::Result<T>: a value or a std::error_code, for data paths that must not throw.
//
// GCC 12 in C++20 has no std::expected. This is the one place that knows; when the project moves
// to C++23, Result<T> becomes an alias of std::expected<T, std::error_code> and call sites stay.
//
// Thread safety: a value type; as safe as T.
#pragma once

#include <cstdlib>
#include <cerrno>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace gw {

// The error of the last failed system call (errno), for Result<T> failures.
[[nodiscard]] inline std::error_code errno_code() { return {errno, std::generic_category()}; }

// Tag that carries an error into a Result, like std::unexpected.
struct Failure {
  std::error_code code;
};

// Builds a Failure from anything convertible to std::error_code (an errc enum included).
template <class E>
[[nodiscard]] Failure fail(E e) {
  if constexpr (std::is_same_v<std::decay_t<E>, std::error_code>) {
    return Failure{e};
  } else {
    using std::make_error_code;
    return Failure{make_error_code(e)};
  }
}

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& v) : v_(std::in_place_index<0>, v) {}        // NOLINT: implicit like expected
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT
  Result(Failure f) : v_(std::in_place_index<1>, f.code) {}    // NOLINT
  template <class... Args>
  explicit Result(std::in_place_t, Args&&... args)
      : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // Precondition: has_value(). Violating it is a programming error and aborts.
  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Precondition: !has_value().
  [[nodiscard]] std::error_code error() const {
    if (has_value()) std::abort();
    return std::get<1>(v_);
  }

 private:
  void check() const {
    if (!has_value()) std::abort();
  }
  std::variant<T, std::error_code> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Failure f) : ec_(f.code) {}  // NOLINT: implicit like expected
  [[nodiscard]] bool has_value() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (ec_) std::abort();
  }
  [[nodiscard]] std::error_code error() const {
    if (!ec_) std::abort();
    return ec_;
  }

 private:
  std::error_code ec_;
};

// Propagates a failed Result out of the enclosing function that also returns a Result.
#define GW_TRY(var, expr)                                    \
  auto var##_result_ = (expr);                               \
  if (!var##_result_) return ::gw::Failure{var##_result_.error()}; \
  auto var = std::move(*var##_result_)

#define GW_TRY_VOID(expr)                                      \
  do {                                                         \
    auto gw_try_void_ = (expr);                                \
    if (!gw_try_void_) return ::gw::Failure{gw_try_void_.error()}; \
  } while (0)

}  // namespace gw
