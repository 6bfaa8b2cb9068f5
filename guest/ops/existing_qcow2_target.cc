// existing_qcow2_target.cc: convert -n's qcow2 target, opened in place and checked before any
// write.
#include "guest/ops/existing_qcow2_target.h"

#include <new>

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/qcow2/refcount_entries.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/heap_sort.h"
#include "guest/lib/mem.h"
#include "guest/ops/in_place_image.h"

namespace instar {

namespace {

// qemu 7.2's caches for an image qemu-img opens: only the write-back points depend on the slot
// counts, never the bytes (as rebase's copy target).
constexpr uint64_t kL2CacheBytes = 8u << 20;
constexpr uint32_t kRefcountSlots = 4;
constexpr uint64_t kEntryWindowBytes = 64u << 10;

Status unsupported(uint64_t why) {
  return Status(instar_guest_ErrorCode_ERROR_CONVERT_TARGET_UNSUPPORTED, why);
}

// The clusters qemu's overlap check guards (qcow2_check_metadata_overlap(): the header, the L1
// table, the refcount table and blocks, the L2 tables), sorted, duplicates kept.
struct MetadataClusters {
  uint64_t* clusters = nullptr;
  uint64_t count = 0;
  uint64_t capacity = 0;
  bool add(uint64_t offset, uint64_t bytes, uint64_t cluster) {
    for (uint64_t c = offset / cluster; c * cluster < offset + bytes; ++c) {
      if (count == capacity) return false;
      clusters[count++] = c;
    }
    return true;
  }
  bool contains(uint64_t c) const {
    uint64_t lo = 0, hi = count;
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (clusters[mid] < c) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < count && clusters[lo] == c;
  }
};

// Every L2 table and data cluster the writer may touch must be the image's alone (COPIED),
// uncompressed, cluster-aligned and clear of the metadata: the writer overwrites such clusters in
// place. Where qemu would copy on write, or its overlap check would stop a write (and mark the
// image corrupt), instar refuses before writing anything.
Status check_tables(BlockSource& file, const qcow2::Header& h, Arena& arena) {
  const uint64_t cluster = h.cluster_size();
  const uint64_t entry_size = qcow2::l2_entry_size(h.has_extended_l2());
  const uint64_t reftable_entries = uint64_t{h.refcount_table_clusters} * cluster / 8;
  // Header, L1 and refcount tables are bounded by qcow2_do_open()'s checks; each L2 table and
  // refcount block adds one cluster.
  MetadataClusters meta;
  meta.capacity = 1 + (uint64_t{h.l1_size} * 8 + cluster - 1) / cluster + 1 +
                  h.refcount_table_clusters + 1 + reftable_entries + h.l1_size;
  meta.clusters = arena.allocate_array<uint64_t>(meta.capacity);
  uint8_t* table = arena.allocate_array<uint8_t>(cluster);
  // The refcount table's and L1 table's entries, a window at a time (not a read per entry).
  WindowedReader* entries = new_windowed_reader(file, arena, kEntryWindowBytes);
  if (meta.clusters == nullptr || table == nullptr || entries == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  const Status overlapping = unsupported(kTargetOverlaps);
  if (!meta.add(0, cluster, cluster) ||
      !meta.add(h.l1_table_offset, uint64_t{h.l1_size} * 8, cluster) ||
      !meta.add(h.refcount_table_offset, uint64_t{h.refcount_table_clusters} * cluster, cluster)) {
    return overlapping;
  }
  for (uint64_t i = 0; i < reftable_entries; ++i) {
    uint64_t e = 0;
    INSTAR_TRY(read_be64_entry(*entries, h.refcount_table_offset, i, &e));
    const uint64_t block = e & qcow2::kReftableOffsetMask;
    if (block == 0) continue;
    if (block % cluster != 0 || !meta.add(block, cluster, cluster)) return overlapping;
  }
  for (uint64_t i = 0; i < h.l1_size; ++i) {
    uint64_t l1 = 0;
    INSTAR_TRY(read_be64_entry(*entries, h.l1_table_offset, i, &l1));
    const uint64_t l2 = l1 & qcow2::kL1OffsetMask;
    // COPIED with offset 0: qemu's get_cluster_table() loads the header as the L2 table.
    if (l2 == 0 && (l1 & qcow2::kOflagCopied) != 0) return overlapping;
    if (l2 == 0) continue;
    if ((l1 & qcow2::kOflagCopied) == 0) return unsupported(kTargetSnapshots);
    if (l2 % cluster != 0 || !meta.add(l2, cluster, cluster)) return overlapping;
  }
  heap_sort(meta.clusters, meta.count);
  for (uint64_t i = 1; i < meta.count; ++i) {
    if (meta.clusters[i] == meta.clusters[i - 1]) return overlapping;
  }
  for (uint64_t i = 0; i < h.l1_size; ++i) {
    uint64_t l1 = 0;
    INSTAR_TRY(read_be64_entry(*entries, h.l1_table_offset, i, &l1));
    const uint64_t l2 = l1 & qcow2::kL1OffsetMask;
    if (l2 == 0) continue;
    INSTAR_TRY(read_zero_filled(file, l2, MutableBytes(table, cluster)));
    for (uint64_t j = 0; j < cluster; j += entry_size) {
      const uint64_t e = load_be64(table + j);
      if ((e & qcow2::kOflagCompressed) != 0) return unsupported(kTargetCompressed);
      const uint64_t data = e & qcow2::kL2OffsetMask;
      if (data == 0) continue;
      if ((e & qcow2::kOflagCopied) == 0) return unsupported(kTargetSnapshots);
      if (data % cluster != 0 || meta.contains(data / cluster)) return overlapping;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<qcow2::Qcow2Writer*> open_existing_qcow2_target(BlockSource& device, BlockSink& sink,
                                                       uint64_t file_length, uint64_t needed,
                                                       bool discard, Arena& arena,
                                                       ErrorNames* names) {
  OpenedFile file(device, file_length);
  qcow2::OpenScratch scratch;
  INSTAR_TRY(open_in_place_qcow2(file, arena, names, &scratch));
  const qcow2::Metadata& m = *scratch.metadata;
  const qcow2::Header& h = m.header;
  const InPlaceRefusal why = in_place_refusal(m);
  // qcow2_do_open() refuses a corrupt image read-write first; an encrypted one needs its key.
  if (why == kInPlaceCorrupt) return Status(instar_guest_ErrorCode_ERROR_IMAGE_CORRUPT_READ_WRITE);
  if (h.crypt_method != 0) return Status(instar_guest_ErrorCode_ERROR_ENCRYPTION_KEY_REQUIRED);
  if (m.has_backing_file) return unsupported(kTargetBackingFile);
  // img_convert(): blk_nb_sectors(s.target) against the inputs' total.
  if (h.virtual_size() < needed) {
    return Status(instar_guest_ErrorCode_ERROR_CONVERT_TARGET_TOO_SMALL);
  }
  if (why != kInPlaceSupported) return unsupported(why);
  if (h.nb_snapshots != 0) return unsupported(kTargetSnapshots);
  const uint64_t mark = arena.mark();
  INSTAR_TRY(check_tables(file, h, arena));
  arena.release_to(mark);

  void* memory = arena.allocate(sizeof(qcow2::Qcow2Writer), alignof(qcow2::Qcow2Writer));
  if (memory == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  auto* writer = new (memory) qcow2::Qcow2Writer(sink, &device, arena);
  writer->set_discard_requests(discard);
  uint64_t l2_slots = kL2CacheBytes / h.cluster_size();
  if (l2_slots < 4) l2_slots = 4;
  if (l2_slots > 64) l2_slots = 64;
  INSTAR_TRY(writer->open_in_place(h, file_length, false,
                                   {static_cast<uint32_t>(l2_slots), kRefcountSlots}));
  return writer;
}

}  // namespace instar
