#include "gateway/bridge/free_space.hpp"

#include <sys/statvfs.h>

#include <cerrno>

namespace gw::bridge {

Result<std::uint64_t> StatvfsProbe::available(const std::string& directory) const {
  struct statvfs st {};
  if (::statvfs(directory.c_str(), &st) != 0) {
    return fail(std::error_code(errno, std::generic_category()));
  }
  // f_bavail, not f_bfree: blocks reserved for root are not ours to fill.
  return static_cast<std::uint64_t>(st.f_bavail) * static_cast<std::uint64_t>(st.f_frsize);
}

const StatvfsProbe& StatvfsProbe::instance() {
  static const StatvfsProbe probe;
  return probe;
}

}  // namespace gw::bridge
