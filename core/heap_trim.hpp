// Giving freed heap memory back to the kernel after a burst.
//
// glibc returns memory to the kernel only from the top of a heap. Memory freed in the middle of a
// heap, or in the per-thread arenas of the bridge, Paho and Modbus threads, stays resident and
// counts in the process's RSS. After a burst (a publisher faster than the uplink for a few
// seconds, the bridge's hand-off queue full, the first seconds of an outage) the heap is nearly
// empty again but the RSS stays at the burst's high water: 53 MiB instead of 15 after a million
// messages offered as fast as a client could send them (docs/performance.md). trim_heap() returns
// those pages with malloc_trim(3), which also releases whole free pages inside a heap.
//
//   core::HeapTrimmer trimmer(kThreshold);
//   if (auto r = trimmer.maybe_trim(); r.trimmed) log->debug(...);  // every few seconds
//
// Thread safety: HeapTrimmer on one thread; glibc locks each arena while malloc_trim walks it,
// which takes milliseconds to tens of milliseconds after a large burst (the walk is proportional
// to the free chunks): call it every few seconds, not per message.
#pragma once

#include <cstddef>

namespace gw::core {

struct HeapUse {
  std::size_t free = 0;           // free bytes in the C library's heaps, all arenas
  std::size_t in_use = 0;         // bytes allocated and not freed (heaps and mmapped blocks)
  std::size_t anon_resident = 0;  // the process's resident anonymous memory (not file-backed)
};

// The current figures; all 0 where they are unknown (a C library other than glibc, or a
// sanitizer's allocator, which does not use glibc's heaps).
[[nodiscard]] HeapUse heap_use();

struct HeapTrim {
  bool trimmed = false;  // malloc_trim ran
  HeapUse before;
  HeapUse after;  // equal to before when it did not run
};

class HeapTrimmer {
 public:
  explicit HeapTrimmer(std::size_t threshold) : threshold_(threshold) {}

  // Runs malloc_trim(0) when freed memory is resident: more than `threshold` bytes free in the
  // heaps, resident anonymous memory more than `threshold` above what is in use, and more than
  // `threshold` above what it was after the last trim. The last condition keeps it quiet once a
  // trim has given back what it can: glibc still counts the released chunks as free, and pages
  // that hold a live block, thread stacks and library data stay resident whatever it does.
  HeapTrim maybe_trim();

 private:
  std::size_t threshold_;
  std::size_t floor_ = 0;  // resident anonymous memory after the last trim (lowered as it falls)
};

}  // namespace gw::core
