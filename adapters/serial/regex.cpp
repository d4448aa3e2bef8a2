#include "adapters/serial/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

namespace gw::adapters::serial {
namespace {

class Pcre2Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "pcre2"; }
  std::string message(int value) const override {
    PCRE2_UCHAR buf[256];
    const int n = pcre2_get_error_message(value, buf, sizeof buf);
    if (n < 0) return "PCRE2 error " + std::to_string(value);
    return std::string(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  }
};

pcre2_code* as_code(void* p) { return static_cast<pcre2_code*>(p); }
pcre2_match_data* as_match(void* p) { return static_cast<pcre2_match_data*>(p); }

}  // namespace

const std::error_category& pcre2_category() {
  static const Pcre2Category category;
  return category;
}

void Regex::CodeFree::operator()(void* code) const { pcre2_code_free(as_code(code)); }
void Regex::MatchDataFree::operator()(void* data) const { pcre2_match_data_free(as_match(data)); }

Regex::~Regex() = default;

Result<Regex> Regex::compile(std::string_view pattern, std::string* diagnostic) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0,
                                   &error, &offset, nullptr);
  if (code == nullptr) {
    const std::error_code ec(error, pcre2_category());
    if (diagnostic != nullptr) *diagnostic = ec.message() + " at offset " + std::to_string(offset);
    return fail(ec);
  }
  Regex re;
  re.code_.reset(code);
  // JIT is an optimisation: where it is unavailable the interpreter runs the same pattern.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  re.match_.reset(pcre2_match_data_create_from_pattern(code, nullptr));
  if (!re.match_) return fail(std::errc::not_enough_memory);
  return re;
}

bool Regex::search(std::string_view subject) {
  const int rc = pcre2_match(as_code(code_.get()), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(), 0, 0, as_match(match_.get()), nullptr);
  matched_ = rc >= 0;
  subject_ = matched_ ? subject : std::string_view{};
  return matched_;
}

std::optional<int> Regex::group_number(std::string_view name) const {
  const std::string n(name);  // PCRE2 wants a NUL-terminated name
  const int rc = pcre2_substring_number_from_name(as_code(code_.get()),
                                                  reinterpret_cast<PCRE2_SPTR>(n.c_str()));
  if (rc < 0) return std::nullopt;
  return rc;
}

std::optional<std::string_view> Regex::group(int n) const {
  if (!matched_ || n < 0) return std::nullopt;
  const std::uint32_t count = pcre2_get_ovector_count(as_match(match_.get()));
  if (static_cast<std::uint32_t>(n) >= count) return std::nullopt;
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(as_match(match_.get()));
  const PCRE2_SIZE begin = ov[2 * n];
  const PCRE2_SIZE end = ov[2 * n + 1];
  if (begin == PCRE2_UNSET || end < begin) return std::nullopt;
  return subject_.substr(begin, end - begin);
}

}  // namespace gw::adapters::serial
