// ${ENV_VAR} substitution in scalar values.
//
//   ${NAME}            the variable's value; an error when NAME is not set (set but empty is "")
//   ${NAME:-fallback}  the variable's value, or `fallback` when NAME is unset or empty (as in sh)
//   $${                a literal "${"
//
// NAME is [A-Za-z_][A-Za-z0-9_]*; `fallback` is taken literally up to the first '}'. A '$' not
// followed by '{' is literal. Substitution applies to values only, never to keys, and happens
// before the value is type-checked, so `port: ${MQTT_PORT:-1883}` is an integer.
//
// Thread safety: pure functions, except that the default lookup reads the process environment
// (std::getenv), which must not be modified concurrently.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gw::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// std::getenv.
[[nodiscard]] std::optional<std::string> process_env(const std::string& name);

// The expanded text, or nullopt with `error` set to a message that names the variable, e.g.
// "environment variable 'MQTT_PORT' is not set (use ${MQTT_PORT:-default} for a fallback)".
[[nodiscard]] std::optional<std::string> expand_env(std::string_view text, std::string& error,
                                                    const EnvLookup& lookup = process_env);

}  // namespace gw::config
