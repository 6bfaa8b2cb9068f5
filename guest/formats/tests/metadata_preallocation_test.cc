// metadata_preallocation_test.cc: qcow2_detect_metadata_preallocation()'s threshold, its walk up to
// the file's end, and its failures, over synthetic refcount tables.
#include "guest/formats/qcow2/metadata_preallocation.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "guest/abi/abi.h"
#include "guest/formats/qcow2/refcount_entries.h"
#include "guest/lib/bytes.h"

namespace instar::qcow2 {
namespace {

// 1 KiB clusters (a table entry's offset bits reach below them) with 16-bit refcounts: a refcount
// block counts 512 clusters. The table is
// cluster 1; refcount block k is cluster 2 + k.
constexpr uint32_t kClusterBits = 10;
constexpr uint64_t kCluster = 1024;
constexpr uint32_t kOrder = 4;
constexpr uint64_t kPerBlock = 512;

class File {
 public:
  explicit File(uint64_t clusters) : bytes_(clusters * kCluster, 0) {}

  // Refcount 1 for clusters [first, end), their blocks entered into the table.
  void use(uint64_t first, uint64_t end) {
    for (uint64_t c = first; c < end; ++c) {
      const uint64_t block = 2 + c / kPerBlock;
      set_table_entry(c / kPerBlock, block * kCluster);
      set_refcount(bytes_.data() + block * kCluster, c % kPerBlock, kOrder, 1);
    }
  }
  void set_table_entry(uint64_t index, uint64_t value) {
    store_be64(bytes_.data() + kCluster + index * 8, value);
  }

  Result<bool> detect(uint64_t allocated_bytes) {
    MemoryBlockSource source(Bytes(bytes_.data(), bytes_.size()));
    std::vector<uint8_t> memory(1 << 20);
    Arena arena(memory.data(), memory.size());
    const RefcountGeometry geometry{.table_offset = kCluster,
                                    .table_clusters = 1,
                                    .cluster_bits = kClusterBits,
                                    .refcount_order = kOrder};
    return detect_metadata_preallocation(source, geometry, allocated_bytes, arena);
  }

 private:
  std::vector<uint8_t> bytes_;
};

TEST(MetadataPreallocation, AFileHoldingItsClustersIsNotPreallocated) {
  File file(10);
  file.use(0, 10);
  // real 10: the threshold is max(11, 12) = 12 clusters, and only 10 are in use.
  const Result<bool> found = file.detect(10 * kCluster);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found.value());
}

TEST(MetadataPreallocation, ClustersInUseBeyondTheAllocationArePreallocation) {
  File file(10);
  file.use(0, 10);
  // real 3: max(3, 5) = 5 clusters in use are enough.
  Result<bool> found = file.detect(3 * kCluster);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found.value());
  // real 8: max(8, 10) = 10, exactly the clusters in use.
  found = file.detect(8 * kCluster + kCluster - 1);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found.value());
  // real 9: max(10, 11) = 11 > 10.
  found = file.detect(9 * kCluster);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found.value());
}

TEST(MetadataPreallocation, CountsOnlyUpToTheFilesEnd) {
  File file(10);
  file.use(0, 20);  // refcounts for clusters past the file's end
  // real 9: the threshold is 11; the 10 clusters inside the file do not reach it.
  const Result<bool> found = file.detect(9 * kCluster);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found.value());
}

TEST(MetadataPreallocation, AnUnknownAllocationFails) {
  File file(10);
  file.use(0, 10);
  EXPECT_FALSE(file.detect(abi::kAllocationUnknown).ok());
}

TEST(MetadataPreallocation, AnUnalignedRefcountBlockIsACorruptionOnlyWhenReached) {
  File file(600);  // two refcount blocks' worth of clusters
  file.use(0, 10);
  file.set_table_entry(1, 40 * kCluster + 0x200);
  // Threshold 2 is reached inside block 0: block 1 is never read, as in qemu.
  Result<bool> found = file.detect(0);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found.value());
  // Threshold max(111, 102) = 111 is not: the walk reaches table entry 1.
  found = file.detect(100 * kCluster);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), instar_guest_ErrorCode_ERROR_CORRUPT_REFBLOCK_OFFSET_UNALIGNED);
  EXPECT_EQ(found.status().arg(0), 40 * kCluster + 0x200);
  EXPECT_EQ(found.status().arg(1), 1u);
}

TEST(MetadataPreallocation, EmptyTableEntriesAndBlocksPastEofCountNothing) {
  File file(1100);                                 // three refcount blocks' worth of clusters
  file.use(1024, 1034);                            // block 2 only
  file.set_table_entry(0, 0);                      // block 0: no entry
  file.set_table_entry(1, 1ull << 40);             // block 1: far past EOF, reads as zeros
  Result<bool> found = file.detect(5 * kCluster);  // threshold max(5, 7) = 7
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found.value());
  found = file.detect(20 * kCluster);  // threshold 22 > 10
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found.value());
}

}  // namespace
}  // namespace instar::qcow2
