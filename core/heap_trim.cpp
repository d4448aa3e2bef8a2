#include "core/heap_trim.hpp"

#include <cstdio>

#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gw::core {
namespace {

// Resident minus file-backed pages from /proc/self/statm: anonymous (and shared-memory) pages.
std::size_t anon_resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0, shared = 0;
  const int n = std::fscanf(f, "%lu %lu %lu", &size, &resident, &shared);
  std::fclose(f);
  if (n != 3 || shared > resident) return 0;
  return static_cast<std::size_t>(resident - shared) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
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

HeapTrim trim_heap(std::size_t threshold) {
  HeapTrim r;
  r.before = heap_use();
  r.after = r.before;
#if defined(__GLIBC__)
  const HeapUse& b = r.before;
  if (b.free > threshold && b.anon_resident > b.in_use + threshold) {
    malloc_trim(0);
    r.trimmed = true;
    r.after = heap_use();
  }
#endif
  return r;
}

}  // namespace gw::core
