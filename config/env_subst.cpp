#include "config/env_subst.hpp"

#include <cctype>
#include <cstdlib>

namespace gw::config {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  const auto first = static_cast<unsigned char>(name.front());
  if (!std::isalpha(first) && first != '_') return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && u != '_') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::optional<std::string> expand_env(std::string_view text, std::string& error,
                                      const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error = "unterminated '${' in '" + std::string(text) + "' (write $${ for a literal ${)";
      return std::nullopt;
    }
    const std::string_view expr = text.substr(i + 2, close - i - 2);
    const std::size_t sep = expr.find(":-");
    const std::string name(expr.substr(0, sep));
    if (!valid_name(name)) {
      error = "invalid environment variable name '" + name + "' in '${" + std::string(expr) +
              "}' (letters, digits and '_', not starting with a digit)";
      return std::nullopt;
    }
    const std::optional<std::string> value = lookup(name);
    if (sep != std::string_view::npos) {
      out += value && !value->empty() ? *value : std::string(expr.substr(sep + 2));
    } else if (value) {
      out += *value;
    } else {
      error = "environment variable '" + name + "' is not set (use ${" + name +
              ":-default} for a fallback)";
      return std::nullopt;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace gw::config
