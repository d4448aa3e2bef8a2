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
  HeapTrimmer trimmer(4 * kMiB);
  auto blocks = fill_heap(48 * kMiB);
  auto pin = std::make_unique<char[]>(1024);  // above the blocks: the heap's top cannot shrink
  blocks = std::vector<std::unique_ptr<char[]>>();

  // The premise: what was freed is still resident, which is what the trim is for.
  const HeapUse freed = heap_use();
  ASSERT_GT(freed.free, 40 * kMiB);
  ASSERT_GT(freed.anon_resident, freed.in_use + 32 * kMiB);

  const HeapTrim first = trimmer.maybe_trim();
  EXPECT_TRUE(first.trimmed);
  EXPECT_LT(first.after.anon_resident + 32 * kMiB, first.before.anon_resident);

  // The free chunks are still counted as free, but nothing freed is resident any more.
  const HeapTrim second = trimmer.maybe_trim();
  EXPECT_FALSE(second.trimmed);
  EXPECT_GT(second.before.free, 40 * kMiB);
}

// Every 32nd block stays allocated: each such page stays resident whatever malloc_trim does, so
// after one trim the heap still looks like freed memory resident. The trimmer must not walk the
// heap again at every call for nothing.
TEST(HeapTrim, AFragmentedHeapIsTrimmedOnceNotAtEveryCall) {
  if (heap_use().in_use == 0) GTEST_SKIP() << "not glibc's allocator (sanitizer build)";
  HeapTrimmer trimmer(4 * kMiB);
  auto blocks = fill_heap(96 * kMiB);
  std::vector<std::unique_ptr<char[]>> kept;
  for (std::size_t i = 0; i < blocks.size(); i += 32) kept.push_back(std::move(blocks[i]));
  blocks = std::vector<std::unique_ptr<char[]>>();

  const HeapTrim first = trimmer.maybe_trim();
  ASSERT_TRUE(first.trimmed);
  // What it could not give back is still there...
  EXPECT_GT(first.after.anon_resident, first.after.in_use + 4 * kMiB);
  // ...and that alone does not make it run again.
  EXPECT_FALSE(trimmer.maybe_trim().trimmed);
  EXPECT_FALSE(trimmer.maybe_trim().trimmed);

  // A new burst freed on top of it does.
  auto burst = fill_heap(48 * kMiB);
  auto pin = std::make_unique<char[]>(1024);
  burst = std::vector<std::unique_ptr<char[]>>();
  EXPECT_TRUE(trimmer.maybe_trim().trimmed);
}

TEST(HeapTrim, LeavesTheHeapAloneBelowTheThreshold) {
  if (heap_use().in_use == 0) GTEST_SKIP() << "not glibc's allocator (sanitizer build)";
  HeapTrimmer trimmer(64 * kMiB);
  auto blocks = fill_heap(2 * kMiB);
  auto pin = std::make_unique<char[]>(1024);
  blocks = std::vector<std::unique_ptr<char[]>>();
  EXPECT_FALSE(trimmer.maybe_trim().trimmed);
}

}  // namespace
}  // namespace gw::core
