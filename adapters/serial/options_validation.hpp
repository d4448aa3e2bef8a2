// adapters::serial options validation: everything about an InstrumentOptions that cannot work,
// found before the link starts — regexes that do not compile, a point whose capture is not a
// named group of its pattern, command templates with unknown placeholders, framings and checksum
// layouts that contradict each other, out-of-range values. config/ calls it after filling the
// struct from YAML and reports each problem at the YAML node its path names; InstrumentLink relies
// on a struct that passed it.
//
// Thread safety: a pure function.
#pragma once

#include <string>
#include <vector>

#include "adapters/serial/options.hpp"

namespace gw::adapters::serial {

struct ConfigProblem {
  // Where, as the YAML keys and indexes under the instrument: "patterns[1].points[0].capture",
  // "framing.delimiter", "commands[0].send".
  std::string path;
  std::string message;

  friend bool operator==(const ConfigProblem&, const ConfigProblem&) = default;
};

// Every problem of `options`, in field order; empty when the link can run it.
[[nodiscard]] std::vector<ConfigProblem> validate(const InstrumentOptions& options);

}  // namespace gw::adapters::serial
