// arena_test.cc: the bump arena honours alignment, capacity, overflow and marks.
#include "guest/lib/arena.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace instar {
namespace {

TEST(ArenaTest, AlignsAndRefusesExhaustion) {
  alignas(64) uint8_t buffer[256];
  Arena arena(buffer, sizeof(buffer));
  void* a = arena.allocate(3, 1);
  ASSERT_EQ(a, buffer);
  void* b = arena.allocate(8, 64);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u);
  EXPECT_EQ(arena.allocate(1000), nullptr);
  EXPECT_EQ(arena.allocate(8, 3), nullptr) << "non-power-of-two alignment";
}

TEST(ArenaTest, RefusesOverflowingArrays) {
  alignas(16) uint8_t buffer[64];
  Arena arena(buffer, sizeof(buffer));
  EXPECT_EQ(arena.allocate_array<uint64_t>(UINT64_MAX / 4), nullptr);
  EXPECT_EQ(arena.allocate(UINT64_MAX), nullptr);
  EXPECT_NE(arena.allocate_array<uint64_t>(8), nullptr);
  EXPECT_EQ(arena.used(), 64u);
}

TEST(ArenaTest, MarkAndReleaseReuseSpace) {
  alignas(16) uint8_t buffer[64];
  Arena arena(buffer, sizeof(buffer));
  const uint64_t mark = arena.mark();
  ASSERT_NE(arena.allocate(64), nullptr);
  EXPECT_EQ(arena.allocate(1), nullptr);
  arena.release_to(mark);
  EXPECT_NE(arena.allocate(64), nullptr);
}

}  // namespace
}  // namespace instar
