// config::Diagnostics: every problem found in one configuration file, each with its position, so
// that `check-config` reports all of them at once instead of stopping at the first.
//
// Ownership: owns its messages. Thread safety: not thread-safe; one per load.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/mark.h>

namespace gw::config {

enum class Severity { Error, Warning };

struct Diagnostic {
  Severity severity;
  std::string file;
  int line;    // 1-based; 0 when the problem concerns the whole file (unreadable, ...)
  int column;  // 1-based; 0 likewise
  std::string message;
};

class Diagnostics {
 public:
  // `file` names the source in every message (a path, or e.g. "<string>").
  explicit Diagnostics(std::string file);

  // `mark` is yaml-cpp's 0-based position; YAML::Mark::null_mark() means "the whole file".
  void error(const YAML::Mark& mark, std::string msg);
  void warning(const YAML::Mark& mark, std::string msg);

  [[nodiscard]] bool has_errors() const;
  [[nodiscard]] std::size_t error_count() const;
  [[nodiscard]] const std::string& file() const { return file_; }
  // In the order they were reported.
  [[nodiscard]] const std::vector<Diagnostic>& items() const;

  // One line per item, ordered by position (file-level items first):
  //   "FILE:LINE:COL: error: message" / "FILE:LINE:COL: warning: message" / "FILE: error: message"
  // Every line ends with '\n'; empty when there is nothing to report.
  [[nodiscard]] std::string format() const;

 private:
  void add(Severity severity, const YAML::Mark& mark, std::string msg);

  std::string file_;
  std::vector<Diagnostic> items_;
};

}  // namespace gw::config
