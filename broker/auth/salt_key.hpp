// broker::auth::load_or_create_salt_key: the key of the fake SCRAM salts, kept on disk.
//
// An unknown user name is offered a fake salt, derived from a key, so that it looks like a real
// user's (broker/auth/scram.hpp, fake_scram_credential). A real user's salt stays the same across
// restarts; with a key made at every start, an unknown name's fake salt would change at every
// restart, and sampling a name's salt before and after one would tell real names from invented
// ones. So the key is random once and kept in a file of its own, readable by the gateway only
// (0600), beside the broker's other state in the data directory.
//
//   auto key = auth::load_or_create_salt_key(options.scram_salt_key_file);
//
// Thread safety: a free function; call it from one thread at start-up.
#pragma once

#include <cstddef>
#include <string>

#include "core/result.hpp"

namespace gw::broker::auth {

inline constexpr std::size_t kSaltKeyBytes = 32;

struct SaltKey {
  std::string key;        // kSaltKeyBytes random bytes
  bool created = false;   // the file did not exist: a new key was written
  bool replaced = false;  // the file held something else than a key: a new key was written
  bool mode_repaired = false;  // the file was readable by others: now 0600
};

// The key in `path`; when the file does not exist, or does not hold exactly kSaltKeyBytes bytes,
// a new random key is written there first (mode 0600, atomically); a key file readable by group
// or others is made 0600. Errors: the errno of a file that cannot be read (other than "not
// found"), changed or written, or invalid_argument for a path that is not a regular file (a
// directory, a device; a symbolic link is refused with ELOOP); the caller then has no stable key.
Result<SaltKey> load_or_create_salt_key(const std::string& path);

}  // namespace gw::broker::auth
