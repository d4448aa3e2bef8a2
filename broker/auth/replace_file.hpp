// broker::auth::replace_file: writes a whole small file (the password file, the fake-salt key) so
// that a crash or a power cut leaves either the old contents or the new ones, never a mix: a
// temporary file beside it (never through a link someone left there), fsync, rename, fsync of the
// directory.
//
// Thread safety: a free function; two writers of the same path race like two `mv`s.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"

namespace gw::broker::auth {

// `mode` is set exactly (not filtered by the umask); `owner`, when given, is kept. Errors: the
// errno of the step that failed (the temporary file is removed, the old file is untouched).
Result<void> replace_file(const std::string& path, std::string_view contents, mode_t mode,
                          std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt);

}  // namespace gw::broker::auth
