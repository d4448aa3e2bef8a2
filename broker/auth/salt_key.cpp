#include "broker/auth/salt_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "broker/auth/crypto.hpp"
#include "broker/auth/replace_file.hpp"
#include "core/unique_fd.hpp"

namespace gw::broker::auth {

Result<SaltKey> load_or_create_salt_key(const std::string& path) {
  SaltKey result;
  UniqueFd file{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (file.get() < 0) {
    if (errno != ENOENT) return fail(errno_code());
    result.created = true;
  } else {
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) return fail(errno_code());
    if (!S_ISREG(st.st_mode)) return fail(std::errc::invalid_argument);
    if (st.st_size == static_cast<off_t>(kSaltKeyBytes)) {
      std::string bytes(kSaltKeyBytes, '\0');
      std::size_t got = 0;
      while (got < bytes.size()) {
        const ssize_t n = ::read(file.get(), bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(errno_code());
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
      }
      if (got == bytes.size()) {
        // Readable by others, it would let them tell real user names from invented ones.
        if ((st.st_mode & 077) != 0) {
          if (::fchmod(file.get(), 0600) != 0) return fail(errno_code());
          result.mode_repaired = true;
        }
        result.key = std::move(bytes);
        return result;
      }
    }
    result.replaced = true;
  }
  result.key = random_bytes(kSaltKeyBytes);
  GW_TRY_VOID(replace_file(path, result.key, 0600));
  return result;
}

}  // namespace gw::broker::auth
