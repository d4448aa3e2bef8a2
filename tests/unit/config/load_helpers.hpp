// Helpers shared by the config tests: load a YAML string and look at what was reported.
#pragma once

#include "tests/support/process.hpp"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace gw::config::test {

struct Loaded {
  std::optional<Config> config;
  std::string report;  // Diagnostics::format()
  Diagnostics diag;
};

inline Loaded load(std::string_view yaml) {
  Diagnostics diag("t.yaml");
  auto cfg = load_string(yaml, diag);
  std::string report = diag.format();
  return Loaded{std::move(cfg), std::move(report), std::move(diag)};
}

// The report for a config that must fail.
inline std::string errors(std::string_view yaml) { return load(yaml).report; }

inline std::filesystem::path source_dir() { return gw::test::source_dir(); }

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

}  // namespace gw::config::test
