// existing_qcow2_target.cc: convert -n's qcow2 target, opened in place and checked before any
// write.
#include "guest/ops/existing_qcow2_target.h"

#include <new>

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/lib/mem.h"
#include "guest/ops/in_place_image.h"

namespace instar {

namespace {

// qemu 7.2's caches for an image qemu-img opens: only the write-back points depend on the slot
// counts, never the bytes (as rebase's copy target).
constexpr uint64_t kL2CacheBytes = 8u << 20;
constexpr uint32_t kRefcountSlots = 4;

Status unsupported(uint64_t why) {
  return Status(instar_guest_ErrorCode_ERROR_CONVERT_TARGET_UNSUPPORTED, why);
}

// Every L2 table and data cluster the writer may touch must be the image's alone (COPIED) and
// uncompressed: the writer overwrites in place, as qemu does for such clusters only.
Status check_tables(BlockSource& file, const qcow2::Header& h, Arena& arena) {
  const uint64_t cluster = h.cluster_size();
  const uint64_t entry_size = qcow2::l2_entry_size(h.has_extended_l2());
  uint8_t* table = arena.allocate_array<uint8_t>(cluster);
  if (table == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  uint8_t raw[8];
  for (uint64_t i = 0; i < h.l1_size; ++i) {
    INSTAR_TRY(read_zero_filled(file, h.l1_table_offset + i * 8, MutableBytes(raw, 8)));
    const uint64_t l1 = load_be64(raw);
    const uint64_t l2 = l1 & qcow2::kL1OffsetMask;
    if (l2 == 0) continue;
    if ((l1 & qcow2::kOflagCopied) == 0) return unsupported(kTargetSnapshots);
    INSTAR_TRY(read_zero_filled(file, l2, MutableBytes(table, cluster)));
    for (uint64_t j = 0; j < cluster; j += entry_size) {
      const uint64_t e = load_be64(table + j);
      if ((e & qcow2::kOflagCompressed) != 0) return unsupported(kTargetCompressed);
      if ((e & qcow2::kL2OffsetMask) != 0 && (e & qcow2::kOflagCopied) == 0) {
        return unsupported(kTargetSnapshots);
      }
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
