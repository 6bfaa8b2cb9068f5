// info.cc: runs format detection and the qcow2 open, then streams the info messages.
#include "guest/ops/info.h"

#include "guest/formats/probe.h"
#include "guest/formats/qcow2/bitmap_directory.h"
#include "guest/formats/qcow2/open.h"
#include "guest/formats/qcow2/snapshot_table.h"
#include "guest/formats/raw/partition_table.h"
#include "guest/formats/raw/raw_image.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar {

namespace {

// Large enough that typical snapshot tables and bitmap directories take a single read.
constexpr uint64_t kTableWindowSize = 256 * 1024;
constexpr uint64_t kNameScratchSize = qcow2::kSnapshotNameScratchSize;
static_assert(kNameScratchSize >= qcow2::kBitmapNameScratchSize);

// Copies `from` into a nanopb bytes field, cut to the field's bound (guest.options).
template <typename PbBytes>
void set_bytes(PbBytes* field, Bytes from) {
  const uint64_t n = from.size < sizeof field->bytes ? from.size : sizeof field->bytes;
  if (n != 0) copy_bytes(field->bytes, from.data, n);  // absent names have no data pointer
  field->size = static_cast<pb_size_t>(n);
}

// The GuestMessage is a few KiB: keep it in the arena, not on the guest's small stack.
instar_guest_GuestMessage* new_message(Arena& arena, pb_size_t tag) {
  auto* message = static_cast<instar_guest_GuestMessage*>(
      arena.allocate(sizeof(instar_guest_GuestMessage), alignof(instar_guest_GuestMessage)));
  if (message == nullptr) return nullptr;
  *message = instar_guest_GuestMessage_init_zero;
  message->which_body = tag;
  return message;
}

Status report_failure(MessageSink& sink, Arena& arena, const Status& failure,
                      const ErrorNames* names) {
  INSTAR_TRY(emit_error(sink, arena, failure, names));
  return emit_done(sink, arena, 1);
}

// What a probed-raw image's head looks like, for the host's safe detection (guest.proto RawHead).
// GPT first: a GPT disk's protective MBR also passes looks_like_mbr.
instar_guest_RawHead classify_raw_head(Bytes head) {
  if (raw::has_gpt_header(head)) return instar_guest_RawHead_RAW_HEAD_GPT;
  if (raw::looks_like_mbr(head)) return instar_guest_RawHead_RAW_HEAD_MBR;
  constexpr uint64_t kSector = 512;
  for (uint64_t i = 0; i < kSector && i < head.size; ++i) {
    if (head.data[i] != 0) return instar_guest_RawHead_RAW_HEAD_UNRECOGNISED;
  }
  return instar_guest_RawHead_RAW_HEAD_ZERO_SECTOR;
}

Status emit_raw_info(BlockSource& source, instar_guest_RawHead raw_head, MessageSink& sink,
                     Arena& arena) {
  instar_guest_GuestMessage* message = new_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  message->body.info.format = instar_guest_Format_FORMAT_RAW;
  message->body.info.raw_head = raw_head;
  message->body.info.virtual_size = raw::virtual_size(source.size());
  INSTAR_TRY(emit_message(sink, arena, *message));
  return emit_done(sink, arena, 0);
}

// qcrypto_block_luks_get_info(): what info shows of a LUKS header.
void fill_luks_info(const luks::Header& h, instar_guest_ImageInfo* info) {
  info->has_luks = true;
  instar_guest_LuksInfo& l = info->luks;
  l.cipher_alg = h.cipher_alg;
  l.cipher_mode = h.cipher_mode;
  l.ivgen_alg = h.ivgen_alg;
  l.ivgen_hash_alg = h.ivgen_hash_alg;
  l.hash_alg = h.hash_alg;
  l.payload_offset = uint64_t{h.payload_offset_sector} * luks::kSectorSize;
  l.master_key_iters = h.master_key_iterations;
  set_bytes(&l.uuid, qcow2::until_nul(Bytes(h.uuid, luks::kUuidSize)));
  l.slots_count = luks::kKeySlots;
  for (uint32_t i = 0; i < luks::kKeySlots; ++i) {
    const luks::KeySlot& slot = h.slots[i];
    instar_guest_LuksSlot& out = l.slots[i];
    out.active = slot.active == luks::kSlotEnabled;
    out.iters = out.active ? slot.iterations : 0;
    out.stripes = out.active ? slot.stripes : 0;
    out.key_offset = uint64_t{slot.key_offset_sector} * luks::kSectorSize;
  }
}

void fill_qcow2_info(const qcow2::Metadata& m, instar_guest_ImageInfo* info) {
  const qcow2::Header& h = m.header;
  const qcow2::HeaderExtensions& e = m.extensions;
  info->format = instar_guest_Format_FORMAT_QCOW2;
  info->virtual_size = h.virtual_size();
  info->cluster_size = h.cluster_size();
  info->has_qcow2 = true;
  instar_guest_Qcow2Info& q = info->qcow2;
  q.version = h.version;
  q.cluster_bits = h.cluster_bits;
  q.refcount_order = h.refcount_order;
  q.compression_type = h.compression_type;
  q.incompatible_features = h.incompatible_features;
  q.compatible_features = h.compatible_features;
  q.autoclear_features = h.autoclear_features;
  q.crypt_method = h.crypt_method;
  q.has_backing_file = m.has_backing_file;
  set_bytes(&q.backing_file, m.backing_file);
  q.has_backing_format = e.has_backing_format;
  set_bytes(&q.backing_format, e.backing_format);
  q.has_data_file = e.has_data_file;
  set_bytes(&q.data_file, e.data_file);
  q.nb_snapshots = h.nb_snapshots;
  q.nb_bitmaps = e.nb_bitmaps;
  q.l1_size = h.l1_size;
  q.l1_table_offset = h.l1_table_offset;
  q.refcount_table_offset = h.refcount_table_offset;
  q.refcount_table_clusters = h.refcount_table_clusters;
  q.header_length = h.header_length;
  q.size = h.size;
  q.bitmaps_extension_ignored = e.bitmaps_ignored;
  q.has_crypto_header = e.has_crypto_header;
  q.crypto_header_offset = e.crypto_header_offset;
  q.crypto_header_length = e.crypto_header_length;
  if (e.has_luks) fill_luks_info(e.luks, info);
}

Status emit_snapshots(const qcow2::Metadata& m, const qcow2::TableScratch& tables,
                      instar_guest_GuestMessage* message, MessageSink& sink, Arena& arena) {
  qcow2::SnapshotTableReader snapshots(*tables.reader, m.header.snapshots_offset,
                                       m.header.nb_snapshots, tables.names);
  qcow2::Snapshot s;
  while (!snapshots.done()) {
    INSTAR_TRY(snapshots.next(&s));
    *message = instar_guest_GuestMessage_init_zero;
    message->which_body = instar_guest_GuestMessage_snapshot_tag;
    instar_guest_Snapshot& out = message->body.snapshot;
    set_bytes(&out.id, s.id);
    set_bytes(&out.name, s.name);
    out.vm_state_size = s.vm_state_size;
    out.date_sec = s.date_sec;
    out.date_nsec = s.date_nsec;
    out.vm_clock_nsec = s.vm_clock_nsec;
    out.has_icount = s.has_icount;
    out.icount = s.icount;
    INSTAR_TRY(emit_message(sink, arena, *message));
  }
  return Status::Ok();
}

Status emit_bitmaps(const qcow2::Metadata& m, const qcow2::TableScratch& tables,
                    instar_guest_GuestMessage* message, MessageSink& sink, Arena& arena) {
  const qcow2::HeaderExtensions& e = m.extensions;
  if (e.nb_bitmaps == 0) return Status::Ok();
  qcow2::BitmapDirectoryReader bitmaps(
      *tables.reader, e.bitmap_directory_offset, e.bitmap_directory_size, e.nb_bitmaps,
      m.header.cluster_size(), m.header.virtual_size(), tables.names);
  INSTAR_TRY(bitmaps.start());
  qcow2::Bitmap b;
  while (!bitmaps.at_end()) {
    INSTAR_TRY(bitmaps.next(&b));
    *message = instar_guest_GuestMessage_init_zero;
    message->which_body = instar_guest_GuestMessage_bitmap_tag;
    set_bytes(&message->body.bitmap.name, b.name);
    message->body.bitmap.granularity_bits = b.granularity_bits;
    message->body.bitmap.flags = b.flags;
    INSTAR_TRY(emit_message(sink, arena, *message));
  }
  return bitmaps.finish();
}

Status run_qcow2_info(BlockSource& source, qcow2::OpenMode mode, MessageSink& sink, Arena& arena) {
  auto* window = arena.allocate_array<uint8_t>(kTableWindowSize);
  auto* names = arena.allocate_array<uint8_t>(kNameScratchSize);
  auto* detail = static_cast<qcow2::OpenErrorDetail*>(
      arena.allocate(sizeof(qcow2::OpenErrorDetail), alignof(qcow2::OpenErrorDetail)));
  auto* metadata = static_cast<qcow2::Metadata*>(
      arena.allocate(sizeof(qcow2::Metadata), alignof(qcow2::Metadata)));
  instar_guest_GuestMessage* message = new_message(arena, instar_guest_GuestMessage_info_tag);
  if (window == nullptr || names == nullptr || detail == nullptr || metadata == nullptr ||
      message == nullptr) {
    return report_failure(sink, arena, Status(instar_guest_ErrorCode_ERROR_INTERNAL), nullptr);
  }
  WindowedReader reader(source, MutableBytes(window, kTableWindowSize));
  const qcow2::TableScratch tables{&reader, MutableBytes(names, kNameScratchSize)};
  detail->clear();
  *metadata = qcow2::Metadata();

  // qemu-img info opens with BDRV_O_NO_IO: a LUKS header is read and checked, no key is asked.
  const Status opened = qcow2::open_image(source, arena, tables, metadata, detail, mode,
                                          qcow2::CryptoAccess::kHeaderOnly);
  if (!opened.ok()) {
    return report_failure(sink, arena, opened, detail);
  }
  fill_qcow2_info(*metadata, &message->body.info);
  INSTAR_TRY(emit_message(sink, arena, *message));
  // The second walk re-reads what open_image validated; it fails only if the device does.
  Status streamed = emit_snapshots(*metadata, tables, message, sink, arena);
  if (streamed.ok()) streamed = emit_bitmaps(*metadata, tables, message, sink, arena);
  if (!streamed.ok()) return report_failure(sink, arena, streamed, nullptr);
  return emit_done(sink, arena, 0);
}

}  // namespace

Status emit_done(MessageSink& sink, Arena& arena, int32_t status) {
  instar_guest_GuestMessage message = instar_guest_GuestMessage_init_zero;
  message.which_body = instar_guest_GuestMessage_done_tag;
  message.body.done.status = status;
  return emit_message(sink, arena, message);
}

Status run_info(BlockSource& source, abi::ImageFormat format, bool no_io, MessageSink& sink,
                Arena& arena) {
  const uint64_t mark = arena.mark();
  Status result;
  uint8_t* head = arena.allocate_array<uint8_t>(kProbeSize);
  Status read = head == nullptr ? Status(instar_guest_ErrorCode_ERROR_INTERNAL)
                                : read_zero_filled(source, 0, MutableBytes(head, kProbeSize));
  if (!read.ok()) {
    result = report_failure(sink, arena, read, nullptr);
  } else {
    const Result<DetectedFormat> detected = detect_format(format, Bytes(head, kProbeSize));
    if (!detected.ok()) {
      result = report_failure(sink, arena, detected.status(), nullptr);
    } else if (detected.value() == DetectedFormat::kRaw) {
      // Only a probe's verdict is classified: an explicit -f raw is the user's decision.
      const Bytes probed(head, kProbeSize);
      result = emit_raw_info(source,
                             format == abi::ImageFormat::kProbe
                                 ? classify_raw_head(probed)
                                 : instar_guest_RawHead_RAW_HEAD_NOT_PROBED,
                             sink, arena);
    } else {
      result = run_qcow2_info(source, no_io ? qcow2::OpenMode::kNoIo : qcow2::OpenMode::kNormal,
                              sink, arena);
    }
  }
  arena.release_to(mark);
  return result;
}

}  // namespace instar
