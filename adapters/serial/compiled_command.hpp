// serial::CompiledCommand: a writable point's command (options.hpp CommandOptions) made ready to
// run — its send template, the parser of its reply, its error pattern and the instrument point
// whose value it sets. Every runner of commands (InstrumentLink on its own port, BusInstrument on
// a mixed bus) compiles them the same way here.
//
// Ownership: a value type. Thread safety: used by one link thread.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "adapters/serial/command_template.hpp"
#include "adapters/serial/line_parser.hpp"
#include "adapters/serial/options.hpp"
#include "adapters/serial/regex.hpp"

namespace gw::adapters::serial {

struct CompiledCommand {
  CommandTemplate send;
  LineParser reply;  // one point (the "value" group) when the reply confirms a value
  std::optional<Regex> reply_error;
  std::optional<std::pair<std::size_t, std::size_t>> read_point;  // pattern, point
};

// Precondition: `command` passed options validation (its template and patterns compile);
// violating it is a programming error and aborts. `patterns` are the instrument's.
[[nodiscard]] CompiledCommand compile_command(const CommandOptions& command,
                                              const std::vector<PatternOptions>& patterns);

}  // namespace gw::adapters::serial
