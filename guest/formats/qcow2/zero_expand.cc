// zero_expand.cc: the L2 walks of qcow2_downgrade() (block/qcow2-cluster.c 7.2).
#include "guest/formats/qcow2/zero_expand.h"

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/refcount_entries.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/bytes.h"
#include "guest/lib/mem.h"

namespace instar::qcow2 {

namespace {

// L1 entries read at a time.
constexpr uint64_t kL1Chunk = 512;
// Bytes of zeros written at a time into a preallocated zero cluster.
constexpr uint64_t kZeroPiece = 4096;
// The refcount table entry's offset bits (REFT_OFFSET_MASK).
constexpr uint64_t kReftOffsetMask = 0xfffffffffffffe00ull;

// qcow2_get_refcount() of one cluster: 0 for a cluster past the refcount table or in an
// unallocated refcount block, as qemu reports it.
Result<uint64_t> refcount_of(BlockSource& source, const Header& h, uint64_t cluster,
                             uint8_t* block) {
  const uint64_t cluster_size = h.cluster_size();
  const uint64_t per_block = cluster_size * 8 >> h.refcount_order;
  const uint64_t index = cluster / per_block;
  if (index >= uint64_t{h.refcount_table_clusters} * cluster_size / 8) return uint64_t{0};
  uint8_t entry[8];
  INSTAR_TRY(read_zero_filled(source, h.refcount_table_offset + index * 8, MutableBytes(entry, 8)));
  const uint64_t block_offset = load_be64(entry) & kReftOffsetMask;
  if (block_offset == 0) return uint64_t{0};
  INSTAR_TRY(read_zero_filled(source, block_offset, MutableBytes(block, cluster_size)));
  return get_refcount(block, cluster % per_block, h.refcount_order);
}

class Walk {
 public:
  Walk(const ZeroExpansion& e, uint8_t* l1, uint8_t* l2, uint8_t* block, const uint8_t* zeros,
       ExpandProgress* progress, ZeroScan* scan)
      : e_(e), l1_(l1), l2_(l2), block_(block), zeros_(zeros), progress_(progress), scan_(scan) {
    for (uint32_t t = 0; t < e.table_count; ++t) total_ += e.tables[t].size;
  }

  Status run() {
    for (uint32_t t = 0; t < e_.table_count; ++t) INSTAR_TRY(table(e_.tables[t]));
    return Status::Ok();
  }

 private:
  Status table(const L1Table& l1) {
    for (uint64_t first = 0; first < l1.size; first += kL1Chunk) {
      const uint64_t n = l1.size - first < kL1Chunk ? l1.size - first : kL1Chunk;
      INSTAR_TRY(read_zero_filled(e_.source, l1.offset + first * 8, MutableBytes(l1_, n * 8)));
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t l2_offset = load_be64(l1_ + i * 8) & kL1OffsetMask;
        if (l2_offset != 0) INSTAR_TRY(l2_table(l2_offset, first + i));
        ++visited_;
        if (e_.sink != nullptr && progress_ != nullptr) progress_->report(visited_, total_);
      }
    }
    return Status::Ok();
  }

  Status l2_table(uint64_t l2_offset, uint64_t l1_index) {
    const uint64_t cluster_size = e_.header.cluster_size();
    if ((l2_offset & (cluster_size - 1)) != 0) {
      return Status(instar_guest_ErrorCode_ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED, l2_offset,
                    l1_index);
    }
    Result<uint64_t> l2_refcount =
        refcount_of(e_.source, e_.header, l2_offset >> e_.header.cluster_bits, block_);
    if (!l2_refcount.ok()) return l2_refcount.status();
    INSTAR_TRY(read_zero_filled(e_.source, l2_offset, MutableBytes(l2_, cluster_size)));
    bool dirty = false;
    for (uint64_t j = 0; j < cluster_size / 8; ++j) {
      const uint64_t entry = load_be64(l2_ + j * 8);
      const ClusterType type = classify_l2_entry(entry, false, false);
      if (type == ClusterType::kZeroPlain) {
        if (e_.has_backing) {
          scan_->needs_allocation = true;  // qcow2_alloc_clusters(): not done by instar
          if (e_.sink == nullptr) continue;
          return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
        }
        store_be64(l2_ + j * 8, 0);
        dirty = true;
      } else if (type == ClusterType::kZeroAlloc) {
        const uint64_t offset = entry & kL2OffsetMask;
        if ((offset & (cluster_size - 1)) != 0) {
          return Status(instar_guest_ErrorCode_ERROR_CORRUPT_CLUSTER_OFFSET_UNALIGNED, offset,
                        l2_offset, j);
        }
        // The cluster is zeroed before the entry that makes it data says so.
        if (e_.sink != nullptr) INSTAR_TRY(write_zeros(offset, cluster_size));
        store_be64(l2_ + j * 8, l2_refcount.value() == 1 ? offset | kOflagCopied : offset);
        dirty = true;
      }
    }
    if (!dirty || e_.sink == nullptr) return Status::Ok();
    INSTAR_TRY(e_.sink->flush());
    INSTAR_TRY(e_.sink->write_at(l2_offset, Bytes(l2_, cluster_size)));
    return e_.sink->flush();
  }

  Status write_zeros(uint64_t offset, uint64_t length) {
    constexpr uint64_t kPiece = kZeroPiece;
    const uint8_t* zeros = zeros_;
    for (uint64_t done = 0; done < length; done += kPiece) {
      const uint64_t n = length - done < kPiece ? length - done : kPiece;
      INSTAR_TRY(e_.sink->write_at(offset + done, Bytes(zeros, n)));
    }
    return Status::Ok();
  }

  const ZeroExpansion& e_;
  uint8_t* l1_;
  uint8_t* l2_;
  uint8_t* block_;
  const uint8_t* zeros_;
  ExpandProgress* progress_;
  ZeroScan* scan_;
  int64_t total_ = 0;
  int64_t visited_ = 0;
};

}  // namespace

Status expand_zero_clusters(const ZeroExpansion& e, Arena& arena, ExpandProgress* progress,
                            ZeroScan* scan) {
  const uint64_t mark = arena.mark();
  const uint64_t cluster_size = e.header.cluster_size();
  uint8_t* l1 = arena.allocate_array<uint8_t>(kL1Chunk * 8);
  uint8_t* l2 = arena.allocate_array<uint8_t>(cluster_size);
  uint8_t* block = arena.allocate_array<uint8_t>(cluster_size);
  uint8_t* zeros = arena.allocate_array<uint8_t>(kZeroPiece);
  Status s = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  if (l1 != nullptr && l2 != nullptr && block != nullptr && zeros != nullptr) {
    fill_bytes(zeros, 0, kZeroPiece);
    Walk walk(e, l1, l2, block, zeros, progress, scan);
    s = walk.run();
  }
  arena.release_to(mark);
  return s;
}

Result<bool> has_compressed_clusters(BlockSource& source, const Header& h, Arena& arena) {
  const uint64_t mark = arena.mark();
  const uint64_t cluster_size = h.cluster_size();
  const uint64_t entry_size = l2_entry_size(h.has_extended_l2());
  uint8_t* l1 = arena.allocate_array<uint8_t>(kL1Chunk * 8);
  uint8_t* l2 = arena.allocate_array<uint8_t>(cluster_size);
  Result<bool> found = false;
  if (l1 == nullptr || l2 == nullptr) found = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  for (uint64_t first = 0; found.ok() && !found.value() && first < h.l1_size; first += kL1Chunk) {
    const uint64_t n = h.l1_size - first < kL1Chunk ? h.l1_size - first : kL1Chunk;
    Status s = read_zero_filled(source, h.l1_table_offset + first * 8, MutableBytes(l1, n * 8));
    for (uint64_t i = 0; s.ok() && i < n && !found.value(); ++i) {
      const uint64_t l2_offset = load_be64(l1 + i * 8) & kL1OffsetMask;
      if (l2_offset == 0) continue;
      s = read_zero_filled(source, l2_offset, MutableBytes(l2, cluster_size));
      for (uint64_t j = 0; s.ok() && j < cluster_size / entry_size; ++j) {
        if (classify_l2_entry(load_be64(l2 + j * entry_size), h.has_extended_l2(), false) ==
            ClusterType::kCompressed) {
          found = true;
          break;
        }
      }
    }
    if (!s.ok()) found = s;
  }
  arena.release_to(mark);
  return found;
}

}  // namespace instar::qcow2
