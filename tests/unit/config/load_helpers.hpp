// Helpers shared by the config tests: load a YAML string and look at what was reported.
#pragma once

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

// Root of the source tree: GW_SOURCE_DIR (set by ctest), else derived from this file's path
// (tests/unit/config/ is three levels below the root), so the binary also runs by hand.
inline std::filesystem::path source_dir() {
  if (const char* p = std::getenv("GW_SOURCE_DIR"); p != nullptr && *p != '\0') return p;
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

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
