// adapters::serial::Regex: one compiled PCRE2 regular expression (8-bit code units, no UTF mode,
// so it matches raw frame bytes) with its match data, compiled once at start-up and JIT-compiled
// where the platform allows. std::regex is not used: it has no named groups and is slow.
//
//   auto re = Regex::compile(R"(^\s*(?<weight>[-+]?\d+\.\d+)\s*(?<unit>\w+)$)");
//   if (re && re->search(frame)) { auto w = re->group(re->group_number("weight")); }
//
// Ownership: owns the pcre2_code and pcre2_match_data (freed by deleters); move-only. The views
// returned by group() point into the subject of the last search() and die with it.
// Thread safety: none (the match data is per object); one per link thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "core/result.hpp"

namespace gw::adapters::serial {

// PCRE2 error numbers (compile and match errors) in the "pcre2" category, with PCRE2's messages.
[[nodiscard]] const std::error_category& pcre2_category();

class Regex {
 public:
  // Errors: pcre2_category() compile errors. `diagnostic`, when given, receives the message with
  // the offset of the error in the pattern ("missing closing parenthesis at offset 7").
  static Result<Regex> compile(std::string_view pattern, std::string* diagnostic = nullptr);

  Regex(Regex&&) noexcept = default;
  Regex& operator=(Regex&&) noexcept = default;
  ~Regex();

  // Searches `subject` (anchor the pattern to match all of it). False when it does not match or
  // the match failed (a resource limit, counted by the caller as no match).
  bool search(std::string_view subject);

  // The number of the named group, or nullopt when the pattern has no group of that name (or has
  // several, which (?J) allows).
  [[nodiscard]] std::optional<int> group_number(std::string_view name) const;

  // Group `n` of the last successful search(); nullopt when the group did not take part.
  [[nodiscard]] std::optional<std::string_view> group(int n) const;

 private:
  struct CodeFree {
    void operator()(void* code) const;
  };
  struct MatchDataFree {
    void operator()(void* data) const;
  };
  Regex() = default;

  // pcre2_code_8 / pcre2_match_data_8, typed void here so that <pcre2.h> stays out of headers.
  std::unique_ptr<void, CodeFree> code_;
  std::unique_ptr<void, MatchDataFree> match_;
  std::string_view subject_;  // of the last successful search; never dereferenced after it
  bool matched_ = false;
};

}  // namespace gw::adapters::serial
