// Logging, set up once per process (spdlog).
//
// Lines go to stderr as "<N>tag: message", N being the sd-daemon(3) syslog priority, so journald
// files each line at the right level and adds its own timestamp. Outside journald on a terminal a
// local timestamp is prepended. Every line is tagged with module and instance, e.g.
// "broker/listener 127.0.0.1:1883". Secrets and payloads are never logged above debug.
//
// Thread safety: setup_logging() before any other thread starts; loggers are then safe from any
// thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace gw::core {

enum class LogLevel { Trace, Debug, Info, Warn, Error, Critical, Off };

// "trace", "debug", "info", "warn", "error", "critical", "off"; nullopt for anything else.
[[nodiscard]] std::optional<LogLevel> parse_log_level(std::string_view text);

void setup_logging(LogLevel level);

// A logger that prefixes every line with `tag`. Cheap enough to create per instance at start-up;
// not meant for per-packet creation.
[[nodiscard]] std::shared_ptr<spdlog::logger> make_logger(std::string tag);

}  // namespace gw::core
