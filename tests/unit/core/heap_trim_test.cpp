#include "core/heap_trim.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace gw::core {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// Allocates `bytes` in 1 KiB blocks (far below glibc's mmap threshold, so they come from the heap
// and stay there when freed), each zeroed so its pages are resident.
std::vector<std::unique_ptr<char[]>> fill_heap(std::size_t bytes) {
  std::vector<std::unique_ptr<char[]>> blocks;
  blocks.reserve(bytes / 1024);
  for (std::size_t i = 0; i < bytes / 1024; ++i) blocks.push_back(std::make_unique<char[]>(1024));
  return blocks;
}

TEST(HeapTrim, ReturnsFreedMemoryThatStayedResidentThenStaysQuiet) {
  if (heap_use().in_use == 0) GTEST_SKIP() << "not glibc's allocator (sanitizer build)";
  auto blocks = fill_heap(48 * kMiB);
  auto pin = std::make_unique<char[]>(1024);  // above the blocks: the heap's top cannot shrink
  blocks = std::vector<std::unique_ptr<char[]>>();

  // The premise: what was freed is still resident, which is what the trim is for.
  const HeapUse freed = heap_use();
  ASSERT_GT(freed.free, 40 * kMiB);
  ASSERT_GT(freed.anon_resident, freed.in_use + 32 * kMiB);

  const HeapTrim first = trim_heap(4 * kMiB);
  EXPECT_TRUE(first.trimmed);
  EXPECT_LT(first.after.anon_resident + 32 * kMiB, first.before.anon_resident);

  // The free chunks are still counted as free, but nothing freed is resident any more.
  const HeapTrim second = trim_heap(4 * kMiB);
  EXPECT_FALSE(second.trimmed);
  EXPECT_GT(second.before.free, 40 * kMiB);
}

TEST(HeapTrim, LeavesTheHeapAloneBelowTheThreshold) {
  if (heap_use().in_use == 0) GTEST_SKIP() << "not glibc's allocator (sanitizer build)";
  auto blocks = fill_heap(2 * kMiB);
  auto pin = std::make_unique<char[]>(1024);
  blocks = std::vector<std::unique_ptr<char[]>>();
  const HeapTrim r = trim_heap(64 * kMiB);
  EXPECT_FALSE(r.trimmed);
}

}  // namespace
}  // namespace gw::core
