#include "core/log.hpp"

#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace gw::core {
namespace {

// "%*" → "<N>", the sd-daemon priority prefix for the line's level.
class SdPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr std::string_view kPrefix[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", ""};
    const auto level = static_cast<std::size_t>(msg.level);
    const std::string_view p = level < std::size(kPrefix) ? kPrefix[level] : "";
    dest.append(p.data(), p.data() + p.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<SdPriorityFlag>();
  }
};

struct LogState {
  std::mutex mutex;  // guards: sink, level
  spdlog::sink_ptr sink;
  spdlog::level::level_enum level = spdlog::level::info;
};

LogState& state() {
  static LogState s;
  return s;
}

spdlog::level::level_enum to_spdlog(LogLevel l) {
  switch (l) {
    case LogLevel::Trace: return spdlog::level::trace;
    case LogLevel::Debug: return spdlog::level::debug;
    case LogLevel::Info: return spdlog::level::info;
    case LogLevel::Warn: return spdlog::level::warn;
    case LogLevel::Error: return spdlog::level::err;
    case LogLevel::Critical: return spdlog::level::critical;
    case LogLevel::Off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

spdlog::sink_ptr make_sink() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<SdPriorityFlag>('*');
  const bool journald = std::getenv("JOURNAL_STREAM") != nullptr;
  const bool tty = isatty(STDERR_FILENO) == 1;
  formatter->set_pattern(!journald && tty ? "%*%Y-%m-%d %H:%M:%S.%e %n: %v" : "%*%n: %v");
  sink->set_formatter(std::move(formatter));
  return sink;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "trace") return LogLevel::Trace;
  if (text == "debug") return LogLevel::Debug;
  if (text == "info") return LogLevel::Info;
  if (text == "warn" || text == "warning") return LogLevel::Warn;
  if (text == "error") return LogLevel::Error;
  if (text == "critical") return LogLevel::Critical;
  if (text == "off") return LogLevel::Off;
  return std::nullopt;
}

void setup_logging(LogLevel level) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.sink) s.sink = make_sink();
  s.level = to_spdlog(level);
  auto def = std::make_shared<spdlog::logger>("edge-gateway", s.sink);
  def->set_level(s.level);
  spdlog::set_default_logger(std::move(def));
}

std::shared_ptr<spdlog::logger> make_logger(std::string tag) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.sink) s.sink = make_sink();
  auto log = std::make_shared<spdlog::logger>(std::move(tag), s.sink);
  log->set_level(s.level);
  log->flush_on(spdlog::level::warn);
  return log;
}

}  // namespace gw::core
