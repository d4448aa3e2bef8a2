// config::Cursor: where a section parser is in the document — the dotted key path used to prefix
// every message ("broker.listeners[0].bind") and the Diagnostics that collect them.
//
// Ownership: borrows the Diagnostics, which must outlive it. Thread safety: not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <yaml-cpp/mark.h>

#include "config/diagnostics.hpp"

namespace gw::config {

class Cursor {
 public:
  // `key_mark` is where the key of the current value starts: the position reported for a value
  // that has no position of its own (an empty value: `port:` followed by nothing).
  Cursor(Diagnostics& diag, std::string path, YAML::Mark key_mark = YAML::Mark::null_mark())
      : diag_(&diag), path_(std::move(path)), key_mark_(key_mark) {}

  [[nodiscard]] Cursor key(std::string_view name, const YAML::Mark& key_mark) const {
    return Cursor(*diag_, path_.empty() ? std::string(name) : path_ + '.' + std::string(name),
                  key_mark);
  }
  [[nodiscard]] Cursor index(std::size_t i, const YAML::Mark& mark) const {
    return Cursor(*diag_, path_ + '[' + std::to_string(i) + ']', mark);
  }

  // "path: msg" (just "msg" at the top level).
  void error(const YAML::Mark& mark, std::string_view msg) const {
    diag_->error(mark, prefixed(msg));
  }
  void warning(const YAML::Mark& mark, std::string_view msg) const {
    diag_->warning(mark, prefixed(msg));
  }

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const YAML::Mark& key_mark() const { return key_mark_; }
  [[nodiscard]] Diagnostics& diag() const { return *diag_; }

 private:
  [[nodiscard]] std::string prefixed(std::string_view msg) const {
    return path_.empty() ? std::string(msg) : path_ + ": " + std::string(msg);
  }

  Diagnostics* diag_;
  std::string path_;
  YAML::Mark key_mark_;
};

}  // namespace gw::config
