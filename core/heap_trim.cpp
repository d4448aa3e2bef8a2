#include "core/heap_trim.hpp"

#include <algorithm>
#include <fstream>

#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gw::core {
namespace {

// Resident minus file-backed pages from /proc/self/statm ("shared" counts the file-backed and
// shared-memory pages): the anonymous pages.
std::size_t anon_resident_bytes() {
  std::ifstream in("/proc/self/statm");
  unsigned long size = 0, resident = 0, shared = 0;
  if (!(in >> size >> resident >> shared) || shared > resident) return 0;
  return static_cast<std::size_t>(resident - shared) *
         static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

HeapUse heap_use() {
  HeapUse u;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  u.free = m.fordblks;
  u.in_use = m.uordblks + m.hblkhd;
  if (u.in_use == 0) return HeapUse{};  // not glibc's heaps (a sanitizer's allocator)
  u.anon_resident = anon_resident_bytes();
#endif
  return u;
}

HeapTrim HeapTrimmer::maybe_trim() {
  HeapTrim r;
  r.before = heap_use();
  r.after = r.before;
#if defined(__GLIBC__)
  const HeapUse& b = r.before;
  floor_ = std::min(floor_, b.anon_resident);
  if (b.free > threshold_ && b.anon_resident > b.in_use + threshold_ &&
      b.anon_resident > floor_ + threshold_) {
    malloc_trim(0);
    r.trimmed = true;
    r.after = heap_use();
    floor_ = r.after.anon_resident;
  }
#endif
  return r;
}

}  // namespace gw::core
