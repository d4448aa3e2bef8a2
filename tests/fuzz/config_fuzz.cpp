// Fuzzes the configuration loader: any bytes, as a configuration file, must produce a Config or
// diagnostics — never a crash, a hang or an exception — and every diagnostic must point inside
// the input (or at the whole file). Any violation traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// Length in bytes of every line; yaml-cpp, like Diagnostics, counts lines at '\n' and columns
// in bytes.
std::vector<std::size_t> line_lengths(std::string_view text) {
  std::vector<std::size_t> lengths{0};
  for (char c : text) {
    if (c == '\n') {
      lengths.push_back(0);
    } else {
      ++lengths.back();
    }
  }
  return lengths;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  gw::config::Diagnostics diag("fuzz.yaml");
  // No try: an exception escaping load_string is a bug, and libFuzzer reports it as a crash.
  const auto config = gw::config::load_string(text, diag);
  require(config.has_value() == !diag.has_errors());

  const auto lengths = line_lengths(text);
  for (const auto& d : diag.items()) {
    require(!d.message.empty());
    if (d.line == 0) {
      require(d.column == 0);  // about the whole file
      continue;
    }
    require(d.line >= 1 && static_cast<std::size_t>(d.line) <= lengths.size());
    require(d.column >= 1 &&
            static_cast<std::size_t>(d.column) <= lengths[static_cast<std::size_t>(d.line) - 1] + 1);
  }
  const std::string report = diag.format();
  require(report.empty() == diag.items().empty());
  if (config) require(!gw::config::summary(*config).empty());
  return 0;
}
