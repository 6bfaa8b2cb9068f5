// metadata_preallocation.cc: qcow2_detect_metadata_preallocation() over the refcount table.
#include "guest/formats/qcow2/metadata_preallocation.h"

#include "guest/abi/abi.h"
#include "guest/abi/guest.npb.h"
#include "guest/formats/qcow2/refcount_entries.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/bytes.h"

namespace instar::qcow2 {

namespace {

constexpr uint64_t kTableChunkEntries = 512;  // reftable entries read at once

uint64_t max64(uint64_t a, uint64_t b) {
  return a > b ? a : b;
}

}  // namespace

Result<bool> detect_metadata_preallocation(BlockSource& file, const RefcountGeometry& geometry,
                                           uint64_t allocated_bytes, Arena& arena) {
  if (allocated_bytes == abi::kAllocationUnknown) {
    return Status(instar_guest_ErrorCode_ERROR_IO);
  }
  const uint64_t cluster_size = uint64_t{1} << geometry.cluster_bits;
  const uint64_t real_clusters = allocated_bytes / cluster_size;
  const uint64_t threshold = max64(real_clusters * 10 / 9, real_clusters + 2);
  // bdrv_getlength() of the file: its length in whole sectors.
  const uint64_t file_length = (file.size() + 511) / 512 * 512;
  const uint64_t end_cluster = (file_length + cluster_size - 1) / cluster_size;
  // Refcount blocks hold 1 << block_bits entries; the table holds table_size blocks.
  const uint32_t block_bits = geometry.cluster_bits + 3 - geometry.refcount_order;
  const uint64_t table_size = (uint64_t{geometry.table_clusters} << geometry.cluster_bits) / 8;

  const uint64_t mark = arena.mark();
  uint8_t* block = arena.allocate_array<uint8_t>(cluster_size);
  if (block == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  uint8_t table[kTableChunkEntries * 8];
  uint64_t table_first = 0, table_count = 0;  // the entries in `table`
  uint64_t count = 0;
  Status failure = Status::Ok();
  // Clusters past the table's reach have refcount 0, as have those of an empty table entry.
  for (uint64_t index = 0; index < table_size && (index << block_bits) < end_cluster; ++index) {
    if (index >= table_first + table_count) {
      table_first = index;
      table_count =
          table_size - index < kTableChunkEntries ? table_size - index : kTableChunkEntries;
      failure = read_zero_filled(file, geometry.table_offset + index * 8,
                                 MutableBytes(table, table_count * 8));
      if (!failure.ok()) break;
    }
    const uint64_t offset = load_be64(table + (index - table_first) * 8) & kReftableOffsetMask;
    if (offset == 0) continue;
    if ((offset & (cluster_size - 1)) != 0) {
      failure =
          Status(instar_guest_ErrorCode_ERROR_CORRUPT_REFBLOCK_OFFSET_UNALIGNED, offset, index);
      break;
    }
    failure = read_zero_filled(file, offset, MutableBytes(block, cluster_size));
    if (!failure.ok()) break;
    const uint64_t first = index << block_bits;
    const uint64_t entries = end_cluster - first < (uint64_t{1} << block_bits)
                                 ? end_cluster - first
                                 : uint64_t{1} << block_bits;
    for (uint64_t i = 0; i < entries && count < threshold; ++i) {
      count += get_refcount(block, i, geometry.refcount_order) != 0 ? 1 : 0;
    }
    if (count >= threshold) break;
  }
  arena.release_to(mark);
  if (!failure.ok()) return failure;
  return count >= threshold;
}

}  // namespace instar::qcow2
