// `*_file` variants for secrets: `password_file: /run/secrets/mqtt` instead of a password in the
// configuration file. Used by config::secret() fields (schema.hpp); callable directly too.
//
// Thread safety: reads the file system; no shared state.
#pragma once

#include <optional>
#include <string>

#include <yaml-cpp/mark.h>

#include "config/cursor.hpp"

namespace gw::config {

// The content of `path` with trailing "\n" / "\r\n" removed (files written by `echo` or an
// editor end in one). Reports at `mark` and returns nullopt when the file cannot be read
// ("cannot read secret file '/x': No such file or directory") or is larger than 64 KiB.
// The content itself never appears in a message.
[[nodiscard]] std::optional<std::string> read_secret_file(const std::string& path,
                                                          const YAML::Mark& mark, const Cursor& at);

}  // namespace gw::config
