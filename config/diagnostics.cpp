#include "config/diagnostics.hpp"

#include <algorithm>
#include <utility>

namespace gw::config {

Diagnostics::Diagnostics(std::string file) : file_(std::move(file)) {}

void Diagnostics::error(const YAML::Mark& mark, std::string msg) {
  add(Severity::Error, mark, std::move(msg));
}

void Diagnostics::warning(const YAML::Mark& mark, std::string msg) {
  add(Severity::Warning, mark, std::move(msg));
}

void Diagnostics::add(Severity severity, const YAML::Mark& mark, std::string msg) {
  // yaml-cpp marks are 0-based and the null mark is -1; editors and compilers count from 1.
  const bool known = mark.line >= 0 && mark.column >= 0;
  items_.push_back(Diagnostic{severity, file_, known ? mark.line + 1 : 0,
                              known ? mark.column + 1 : 0, std::move(msg)});
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

const std::vector<Diagnostic>& Diagnostics::items() const { return items_; }

std::string Diagnostics::format() const {
  std::vector<const Diagnostic*> sorted;
  sorted.reserve(items_.size());
  for (const auto& d : items_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    return a->line != b->line ? a->line < b->line : a->column < b->column;
  });
  std::string out;
  for (const Diagnostic* d : sorted) {
    out += d->file;
    if (d->line > 0) out += ':' + std::to_string(d->line) + ':' + std::to_string(d->column);
    out += d->severity == Severity::Error ? ": error: " : ": warning: ";
    out += d->message;
    out += '\n';
  }
  return out;
}

}  // namespace gw::config
