#include "config/secret_file.hpp"

#include <cerrno>
#include <system_error>
#include <fstream>
#include <iterator>

namespace gw::config {

std::optional<std::string> read_secret_file(const std::string& path, const YAML::Mark& mark,
                                            const Cursor& at) {
  constexpr std::size_t kMaxSecret = 64 * 1024;
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  std::string content;
  if (in) {
    content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // A directory opens but does not read on Linux; bad() catches it.
  if (!in.is_open() || in.bad()) {
    const int err = errno != 0 ? errno : EIO;
    at.error(mark, "cannot read secret file '" + path + "': " + std::generic_category().message(err));
    return std::nullopt;
  }
  if (content.size() > kMaxSecret) {
    at.error(mark, "secret file '" + path + "' is larger than 64KiB");
    return std::nullopt;
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
  return content;
}

}  // namespace gw::config
