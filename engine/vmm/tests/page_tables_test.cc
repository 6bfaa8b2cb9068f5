// page_tables_test.cc: reads the built tables back like the MMU and checks every protection
// boundary.
#include "engine/vmm/page_tables.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "guest/abi/abi.h"

namespace instar::vmm {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

struct Translation {
  bool present = false;
  bool writable = false;
  bool no_execute = false;
  uint64_t physical = 0;
};

uint64_t entry_at(const std::vector<uint8_t>& low, uint64_t table, uint64_t index) {
  uint64_t e = 0;
  std::memcpy(&e, low.data() + table + index * 8, 8);
  return e;
}

// A software page walk (Intel SDM vol. 3, 4.5): R/W is the AND and NX the OR over all levels.
Translation walk(const std::vector<uint8_t>& low, uint64_t va) {
  Translation t;
  uint64_t table = abi::kPml4Gpa;
  bool writable = true, nx = false;
  for (int level = 3; level >= 0; --level) {
    const uint64_t index = (va >> (12 + 9 * level)) & 511;
    // Every table the walk visits must be one of the host-built pages.
    EXPECT_LT(table + 4096, abi::kHostOnlyEnd + 1) << "table outside the host-only pages";
    if (table + 4096 > low.size()) return t;
    const uint64_t e = entry_at(low, table, index);
    if ((e & kPtePresent) == 0) return t;
    writable = writable && (e & kPteWritable);
    nx = nx || (e & kPteNoExecute);
    if (level == 1 && (e & kPteLargePage)) {
      return {true, writable, nx,
              (e & kPteAddressMask & ~(kLargePageSize - 1)) | (va & (kLargePageSize - 1))};
    }
    EXPECT_FALSE(level == 2 && (e & kPteLargePage)) << "no 1 GiB pages expected";
    if (level == 0) return {true, writable, nx, (e & kPteAddressMask) | (va & 0xfff)};
    table = e & kPteAddressMask;
  }
  return t;
}

std::vector<uint8_t> built(uint64_t memory_size) {
  std::vector<uint8_t> low(abi::kHostOnlyEnd, 0);
  EXPECT_TRUE(build_page_tables(low, memory_size).ok());
  return low;
}

enum class Prot { kNone, kReadOnly, kReadWrite };

Prot expected(uint64_t gpa, uint64_t memory_size) {
  if (gpa >= memory_size) return Prot::kNone;
  if (gpa >= abi::kGuestLoadBase) return Prot::kReadWrite;
  if (gpa >= abi::kBootInfoGpa && gpa < abi::kReadOnlyEnd) return Prot::kReadOnly;
  return Prot::kNone;
}

void expect_prot(const std::vector<uint8_t>& low, uint64_t va, Prot want) {
  const Translation t = walk(low, va);
  switch (want) {
    case Prot::kNone:
      EXPECT_FALSE(t.present) << std::hex << va;
      break;
    case Prot::kReadOnly:
      EXPECT_TRUE(t.present) << std::hex << va;
      EXPECT_FALSE(t.writable) << std::hex << va;
      EXPECT_TRUE(t.no_execute) << std::hex << va;
      EXPECT_EQ(t.physical, va);
      break;
    case Prot::kReadWrite:
      EXPECT_TRUE(t.present) << std::hex << va;
      EXPECT_TRUE(t.writable) << std::hex << va;
      EXPECT_FALSE(t.no_execute) << std::hex << va;
      EXPECT_EQ(t.physical, va) << "identity mapping";
      break;
  }
}

class PageTablesTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(PageTablesTest, EveryPageOfTheFirstTwoMiBFollowsTheMemoryMap) {
  const uint64_t size = GetParam();
  const auto low = built(size);
  for (uint64_t gpa = 0; gpa < 2 * kMiB; gpa += abi::kPageSize) {
    expect_prot(low, gpa, expected(gpa, size));
    expect_prot(low, gpa + abi::kPageSize - 1, expected(gpa, size));
  }
}

TEST_P(PageTablesTest, ProtectionBoundariesAreExact) {
  const uint64_t size = GetParam();
  const auto low = built(size);
  const struct {
    uint64_t gpa;
    Prot prot;
  } cases[] = {
      {0, Prot::kNone},              // null page
      {abi::kGdtGpa, Prot::kNone},   // GDT: host-only
      {abi::kPml4Gpa, Prot::kNone},  // the tables themselves: host-only
      {abi::kPdptGpa, Prot::kNone},
      {abi::kPdGpa, Prot::kNone},
      {abi::kPtGpa, Prot::kNone},
      {abi::kHostOnlyEnd - 1, Prot::kNone},
      {abi::kHostOnlyEnd, Prot::kNone},  // unused low memory
      {abi::kBootInfoGpa - 1, Prot::kNone},
      {abi::kBootInfoGpa, Prot::kReadOnly},  // BootInfo
      {abi::kOpConfigGpa, Prot::kReadOnly},  // OpConfig
      {abi::kReadOnlyEnd - 1, Prot::kReadOnly},
      {abi::kReadOnlyEnd, Prot::kNone},
      {abi::kGuestLoadBase - 1, Prot::kNone},
      {abi::kGuestLoadBase, Prot::kReadWrite},  // the guest ELF
      {2 * kMiB - 1, Prot::kReadWrite},         // last 4 KiB page
      {2 * kMiB, Prot::kReadWrite},             // first 2 MiB page
      {size - 1, Prot::kReadWrite},             // last byte of memory
      {size, Prot::kNone},                      // first byte past memory
      {abi::kMaxGuestMemory, Prot::kNone},      // PDPT entry 1
      {1ull << 39, Prot::kNone},                // PML4 entry 1
      {0xffff800000000000ull, Prot::kNone},     // upper half
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.gpa);
    expect_prot(low, c.gpa, c.gpa >= size && c.prot != Prot::kNone ? Prot::kNone : c.prot);
  }
}

TEST_P(PageTablesTest, EveryTwoMiBPageUpToMemorySizeIsMappedAndNoneBeyond) {
  const uint64_t size = GetParam();
  const auto low = built(size);
  for (uint64_t gpa = 2 * kMiB; gpa < abi::kMaxGuestMemory; gpa += kLargePageSize) {
    expect_prot(low, gpa, gpa < size ? Prot::kReadWrite : Prot::kNone);
    expect_prot(low, gpa + kLargePageSize - 1, gpa < size ? Prot::kReadWrite : Prot::kNone);
  }
}

INSTANTIATE_TEST_SUITE_P(MemorySizes, PageTablesTest,
                         ::testing::Values(abi::kMinGuestMemory, 6 * kMiB, 64 * kMiB,
                                           abi::kMaxGuestMemory));

TEST(PageTablesBuildTest, WritesOnlyTheTablePages) {
  std::vector<uint8_t> low(abi::kHostOnlyEnd, 0xa5);
  ASSERT_TRUE(build_page_tables(low, 64 * kMiB).ok());
  for (uint64_t i = 0; i < low.size(); ++i) {
    if (i >= abi::kPml4Gpa && i < abi::kPtGpa + abi::kPageSize) continue;
    ASSERT_EQ(low[i], 0xa5) << "byte " << i << " outside the tables was written";
  }
}

TEST(PageTablesBuildTest, TablesThemselvesAreNeverReachableFromTheGuest) {
  const auto low = built(abi::kMaxGuestMemory);
  for (uint64_t table : {abi::kPml4Gpa, abi::kPdptGpa, abi::kPdGpa, abi::kPtGpa}) {
    EXPECT_FALSE(walk(low, table).present);
  }
}

TEST(PageTablesBuildTest, RefusesMemorySizesTheTablesCannotDescribe) {
  std::vector<uint8_t> low(abi::kHostOnlyEnd, 0);
  for (uint64_t bad :
       {uint64_t{0}, abi::kMinGuestMemory - kLargePageSize, abi::kMinGuestMemory + abi::kPageSize,
        64 * kMiB + 1, abi::kMaxGuestMemory + kLargePageSize, ~uint64_t{0}}) {
    SCOPED_TRACE(bad);
    const Status s = build_page_tables(low, bad);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("multiple of 2 MiB"), std::string::npos) << s.message();
    EXPECT_FALSE(check_guest_memory_size(bad).ok());
  }
}

TEST(PageTablesBuildTest, RefusesABufferSmallerThanTheHostOnlyRegion) {
  std::vector<uint8_t> low(abi::kHostOnlyEnd - 1, 0);
  EXPECT_FALSE(build_page_tables(low, 64 * kMiB).ok());
}

}  // namespace
}  // namespace instar::vmm
