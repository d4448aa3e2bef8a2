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
//   if (auto r = core::trim_heap(kThreshold); r.trimmed) log->debug(...);
//
// Thread safety: any thread (glibc locks each arena while it walks it). The walk is proportional
// to the number of free chunks: call it every few seconds, not per message.
#pragma once

#include <cstddef>

namespace gw::core {

struct HeapUse {
  std::size_t free = 0;           // free bytes in the C library's heaps, all arenas
  std::size_t in_use = 0;         // bytes allocated and not freed (heaps and mmapped blocks)
  std::size_t anon_resident = 0;  // the process's resident anonymous memory
};

// The current figures; all 0 where they are unknown (a C library other than glibc, or a
// sanitizer's allocator, which does not use glibc's heaps).
[[nodiscard]] HeapUse heap_use();

struct HeapTrim {
  bool trimmed = false;  // malloc_trim ran
  HeapUse before;
  HeapUse after;  // equal to before when it did not run
};

// Runs malloc_trim(0) when more than `threshold` bytes are free in the heaps and the resident
// anonymous memory exceeds what is in use by more than `threshold`, i.e. when freed memory is
// still resident. Once trimmed, it does not run again until freed memory is resident again.
HeapTrim trim_heap(std::size_t threshold);

}  // namespace gw::core
