#include "broker/auth/replace_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace gw::broker::auth {
Result<void> replace_file(const std::string& path, std::string_view contents, mode_t mode,
                          std::optional<std::pair<uid_t, gid_t>> owner) {
  // Beside the file, never through a link someone left there; a stale one from a crash is
  // replaced.
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0) {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  }
  if (fd < 0) return fail(errno_code());
  (void)::fchmod(fd, mode);  // O_CREAT's mode is filtered by the umask
  if (owner && ::fchown(fd, owner->first, owner->second) != 0) {
    const auto ec = errno_code();
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(ec);
  }
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const auto ec = errno_code();
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(ec);
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const std::error_code sync_error = synced ? std::error_code() : errno_code();
  if (::close(fd) != 0 || !synced) {
    const auto ec = synced ? errno_code() : sync_error;
    ::unlink(tmp.c_str());
    return fail(ec);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const auto ec = errno_code();
    ::unlink(tmp.c_str());
    return fail(ec);
  }
  // The rename itself survives a power cut only once the directory is on disk.
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace gw::broker::auth
