#include "broker/auth/salt_key.hpp"

#include <cerrno>
#include <fstream>
#include <iterator>

#include "broker/auth/crypto.hpp"
#include "broker/auth/replace_file.hpp"

namespace gw::broker::auth {

Result<SaltKey> load_or_create_salt_key(const std::string& path) {
  SaltKey result;
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return fail(std::make_error_code(std::errc::io_error));
    if (bytes.size() == kSaltKeyBytes) {
      result.key = std::move(bytes);
      return result;
    }
    result.replaced = true;
  } else if (errno != ENOENT) {
    return fail(std::error_code(errno != 0 ? errno : EIO, std::generic_category()));
  } else {
    result.created = true;
  }
  result.key = random_bytes(kSaltKeyBytes);
  GW_TRY_VOID(replace_file(path, result.key, 0600));
  return result;
}

}  // namespace gw::broker::auth
