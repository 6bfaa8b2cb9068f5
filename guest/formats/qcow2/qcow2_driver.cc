// qcow2_driver.cc: qcow2 images behind the driver interface: probe, open, block status, reads,
// info's description and measure's bitmaps.
#include "guest/formats/qcow2/qcow2_driver.h"

#include <new>

#include "guest/formats/luks/luks_driver.h"
#include "guest/formats/qcow2/bitmap_directory.h"
#include "guest/formats/qcow2/check.h"
#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/measure_size.h"
#include "guest/formats/qcow2/open.h"
#include "guest/formats/qcow2/snapshot_table.h"
#include "guest/formats/qcow2/writer.h"
#include "guest/formats/windowed_reader.h"

namespace instar::qcow2 {

namespace {

// Large enough that typical snapshot tables and bitmap directories take a single read.
constexpr uint64_t kTableWindowSize = 256 * 1024;
constexpr uint64_t kNameScratchSize = kSnapshotNameScratchSize;
static_assert(kNameScratchSize >= kBitmapNameScratchSize);

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

// The snapshots info lists. qcow2_snapshot_list() answers -ENOTSUP for an image with an external
// data file (has_data_file(): the data-file bit, whether or not the open attached the file, as
// under BDRV_O_NO_IO), and bdrv_query_image_info() then leaves the list out without an error. The
// open still read and validated the table, so its errors are qemu's either way.
uint32_t listed_snapshots(const Header& h) {
  return (h.incompatible_features & kIncompatDataFile) != 0 ? 0 : h.nb_snapshots;
}

void fill_info(const Metadata& m, instar_guest_ImageInfo* info) {
  const Header& h = m.header;
  const HeaderExtensions& e = m.extensions;
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
  q.nb_snapshots = listed_snapshots(h);
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
  if (e.has_luks) luks::fill_luks_info(e.luks, info);
}

Status emit_snapshots(const Metadata& m, const TableScratch& tables,
                      instar_guest_GuestMessage* message, MessageSink& sink, Arena& arena) {
  SnapshotTableReader snapshots(*tables.reader, m.header.snapshots_offset,
                                listed_snapshots(m.header), tables.names);
  Snapshot s;
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

Status emit_bitmaps(const Metadata& m, const TableScratch& tables,
                    instar_guest_GuestMessage* message, MessageSink& sink, Arena& arena) {
  const HeaderExtensions& e = m.extensions;
  if (e.nb_bitmaps == 0) return Status::Ok();
  BitmapDirectoryReader bitmaps(*tables.reader, e.bitmap_directory_offset, e.bitmap_directory_size,
                                e.nb_bitmaps, m.header.cluster_size(), m.header.virtual_size(),
                                tables.names);
  INSTAR_TRY(bitmaps.start());
  Bitmap b;
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

// info: ImageInfo, then the snapshot table's entries, then the bitmap directory's.
Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  OpenScratch scratch;
  INSTAR_TRY(allocate_open_scratch(*request.source, arena, &scratch));
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  // qemu-img info opens with BDRV_O_NO_IO: a LUKS header is read and checked, no key is asked.
  INSTAR_TRY(open_image(*request.source, arena, scratch.tables, scratch.metadata, detail,
                        request.no_io ? OpenMode::kNoIo : OpenMode::kNormal,
                        CryptoAccess::kHeaderOnly));
  detail->clear();  // a failure from here on quotes no names
  fill_info(*scratch.metadata, &message->body.info);
  INSTAR_TRY(emit_message(sink, arena, *message));
  // The second walk re-reads what open_image validated; it fails only if the device does.
  INSTAR_TRY(emit_snapshots(*scratch.metadata, scratch.tables, message, sink, arena));
  return emit_bitmaps(*scratch.metadata, scratch.tables, message, sink, arena);
}

ImageDriver* new_image(Arena& arena) {
  // Qcow2Driver holds a batch of read requests: too large for the guest's stack.
  void* memory = arena.allocate(sizeof(Qcow2Driver), alignof(Qcow2Driver));
  return memory == nullptr ? nullptr : new (memory) Qcow2Driver();
}

ImageWriter* new_writer(const WriterRequest& request, Arena& arena, Status* why) {
  const abi::OpConfig& op = *request.op;
  // Only a fresh target: convert -n -O qcow2 opens the existing one (existing_qcow2_target.h).
  if (!request.fresh || op.qcow2_compression_type > 1) {
    *why = Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, op.output_format);
    return nullptr;
  }
  void* memory = arena.allocate(sizeof(Qcow2Writer), alignof(Qcow2Writer));
  if (memory == nullptr) return nullptr;
  auto* writer = new (memory) Qcow2Writer(*request.sink, request.readback, arena);
  writer->set_backing(request.backing);
  // qemu-img convert opens its target with BDRV_O_UNMAP unless -S 0.
  writer->set_discard_requests(op.min_sparse_sectors != 0);
  const Status created = writer->create(create_options(op, request.size));
  if (!created.ok()) {
    *why = created;
    return nullptr;
  }
  return writer;
}

}  // namespace

Status allocate_open_scratch(BlockSource& source, Arena& arena, OpenScratch* out) {
  auto* window = arena.allocate_array<uint8_t>(kTableWindowSize);
  auto* names = arena.allocate_array<uint8_t>(kNameScratchSize);
  auto* metadata = static_cast<Metadata*>(arena.allocate(sizeof(Metadata), alignof(Metadata)));
  void* reader = arena.allocate(sizeof(WindowedReader), alignof(WindowedReader));
  if (window == nullptr || names == nullptr || metadata == nullptr || reader == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  out->reader = new (reader) WindowedReader(source, MutableBytes(window, kTableWindowSize));
  out->tables = TableScratch{out->reader, MutableBytes(names, kNameScratchSize)};
  out->metadata = new (metadata) Metadata();
  return Status::Ok();
}

int probe(Bytes head) {
  if (head.size < 8 || load_be32(head.data) != kMagic) return 0;
  return load_be32(head.data + 4) >= 2 ? 100 : 0;
}

const FormatDriver kQcow2Driver = {
    .format = abi::ImageFormat::kQcow2,
    .info_format = instar_guest_Format_FORMAT_QCOW2,
    .name = "qcow2",
    .probe = probe,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = check,
    .new_writer = new_writer,
};

Status Qcow2Driver::open(BlockSource& source, const OpenContext& context, Arena& arena) {
  source_ = &source;
  declares_backing_ = false;
  // The open's scratch (header area, table window) is dropped once it validated the image.
  const uint64_t mark = arena.mark();
  OpenScratch scratch;
  INSTAR_TRY(allocate_open_scratch(source, arena, &scratch));
  INSTAR_TRY(open_image(source, arena, scratch.tables, scratch.metadata, context.detail));
  const Header header = scratch.metadata->header;
  const bool has_data_file = (header.incompatible_features & kIncompatDataFile) != 0;
  const bool has_backing = scratch.metadata->has_backing_file;
  arena.release_to(mark);

  // qemu opens the data file, then needs the key for encrypted images, then the backing file.
  // The host opened both as qemu would have (or refused): what it sent must match the image.
  if (has_data_file && context.data_file == nullptr) {
    return Status(context.chained ? instar_guest_ErrorCode_ERROR_BAD_CONFIG
                                  : instar_guest_ErrorCode_ERROR_DATA_FILE_NOT_SUPPORTED);
  }
  if (!has_data_file && context.data_file != nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  }
  if (header.crypt_method != kCryptNone) {
    return Status(instar_guest_ErrorCode_ERROR_ENCRYPTION_KEY_REQUIRED);
  }
  if (has_backing && !context.chained) {
    return Status(instar_guest_ErrorCode_ERROR_BACKING_FILE_NOT_SUPPORTED);
  }

  declares_backing_ = has_backing;
  length_ = header.virtual_size();
  refcounts_ = RefcountGeometry{.table_offset = header.refcount_table_offset,
                                .table_clusters = header.refcount_table_clusters,
                                .cluster_bits = header.cluster_bits,
                                .refcount_order = header.refcount_order};
  arena_ = &arena;
  INSTAR_TRY(map_.init(source, arena, header, has_data_file));
  data_.init(source, map_, header.compression_type, arena);
  if (context.data_file != nullptr) data_.set_data_file(*context.data_file);
  return data_file_.open(context.data_file != nullptr ? *context.data_file : source, {}, arena);
}

Status Qcow2Driver::set_file_facts(const FileFacts& facts, Arena& arena) {
  has_file_facts_ = true;
  allocated_bytes_ = facts.allocated_bytes;
  return data_file_.set_file_facts(facts, arena);
}

Status Qcow2Driver::check_metadata_preallocation() {
  preallocation_checked_ = true;
  if (!has_file_facts_) return Status::Ok();
  const Result<bool> found =
      detect_metadata_preallocation(*source_, refcounts_, allocated_bytes_, *arena_);
  // qemu ignores the test's failure: the image is then taken as not preallocated.
  metadata_preallocation_ = found.ok() && found.value();
  return Status::Ok();
}

Status Qcow2Driver::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  if (!preallocation_checked_) INSTAR_TRY(check_metadata_preallocation());
  // qcow2_co_block_status() asks for at most INT_MAX bytes.
  Mapping m;
  INSTAR_TRY(map_.map(offset, min64(bytes, kIntMax), &m));
  BlockStatus s;
  s.bytes = m.bytes;
  if (m.type == SubclusterType::kNormal || m.type == SubclusterType::kZeroAlloc ||
      m.type == SubclusterType::kUnallocatedAlloc) {
    s.flags |= kBlockOffsetValid;
    s.host_offset = m.host_offset;
  }
  s.compressed = m.type == SubclusterType::kCompressed;
  if (m.type == SubclusterType::kZeroPlain || m.type == SubclusterType::kZeroAlloc) {
    s.flags |= kBlockZero;
  } else if (m.type != SubclusterType::kUnallocatedPlain &&
             m.type != SubclusterType::kUnallocatedAlloc) {
    s.flags |= kBlockData;
  }
  if (metadata_preallocation_ && (s.flags & (kBlockData | kBlockOffsetValid | kBlockZero)) ==
                                     (kBlockData | kBlockOffsetValid)) {
    INSTAR_TRY(data_file_.recurse(&s));
  }
  *out = s;
  return Status::Ok();
}

namespace {

// find_snapshot_by_id_and_name(): both given must match; qemu compares C strings, which the
// table reader already cut at their first NUL.
bool matches(const Snapshot& s, const SnapshotSelector& selector) {
  return (!selector.has_id || same_bytes(s.id, selector.id)) &&
         (!selector.has_name || same_bytes(s.name, selector.name));
}

}  // namespace

// qcow2_snapshot_load_tmp(): find the snapshot, validate its L1 table as qcow2_validate_table()
// does, then map through it. The image opened already, so its snapshot table reads again.
Status Qcow2Driver::load_snapshot(const SnapshotSelector& selector, Arena& arena) {
  const uint64_t mark = arena.mark();
  OpenScratch scratch;
  INSTAR_TRY(allocate_open_scratch(*source_, arena, &scratch));
  // The image opened before with these bytes: the names an open error would quote are unused.
  void* names = arena.allocate(sizeof(ErrorNames), alignof(ErrorNames));
  if (names == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  INSTAR_TRY(
      open_image(*source_, arena, scratch.tables, scratch.metadata, new (names) ErrorNames()));
  const Header& h = scratch.metadata->header;
  SnapshotTableReader snapshots(*scratch.tables.reader, h.snapshots_offset, h.nb_snapshots,
                                scratch.tables.names);
  bool found = false;
  Snapshot s;
  while (!found && !snapshots.done()) {
    INSTAR_TRY(snapshots.next(&s));
    found = matches(s, selector);
  }
  const uint64_t cluster_size = h.cluster_size();
  arena.release_to(mark);
  if (!found) return Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_NOT_FOUND);
  INSTAR_TRY(validate_snapshot_l1(s, cluster_size));
  map_.use_l1_table(s.l1_table_offset, s.l1_size);
  return Status::Ok();
}

// qcow2_get_persistent_dirty_bitmap_size(): the persistent bitmaps qemu loads on open (none when
// the extension is ignored): each one's data and table clusters, then the directory rounded up
// to a cluster. The image opened already, so its header reads again; only the bitmaps are new.
Status Qcow2Driver::measure_bitmaps(uint64_t length, uint64_t cluster_size, Arena& arena,
                                    ErrorNames* detail, bool* supported, uint64_t* size) {
  OpenScratch scratch;
  INSTAR_TRY(allocate_open_scratch(*source_, arena, &scratch));
  detail->clear();
  INSTAR_TRY(open_image(*source_, arena, scratch.tables, scratch.metadata, detail));
  const Metadata& m = *scratch.metadata;
  *supported = m.header.version >= 3;
  *size = 0;
  const HeaderExtensions& e = m.extensions;
  if (!*supported || e.bitmaps_ignored || e.nb_bitmaps == 0) return Status::Ok();
  BitmapDirectoryReader bitmaps(*scratch.reader, e.bitmap_directory_offset, e.bitmap_directory_size,
                                e.nb_bitmaps, m.header.cluster_size(), m.header.virtual_size(),
                                scratch.tables.names);
  INSTAR_TRY(bitmaps.start());
  uint64_t total = 0;
  uint64_t directory = 0;
  Bitmap b;
  while (!bitmaps.at_end()) {
    INSTAR_TRY(bitmaps.next(&b));
    total += measure_bitmap_size(length, b.granularity_bits, cluster_size);
    directory += bitmap_directory_entry_size(b.name.size);
  }
  INSTAR_TRY(bitmaps.finish());
  *size = total + round_up_to_cluster(directory, cluster_size);
  return Status::Ok();
}

Preallocation preallocation_mode(uint32_t mode) {
  switch (mode) {
    case abi::kQcow2PreallocMetadata:
      return Preallocation::kMetadata;
    case abi::kQcow2PreallocFalloc:
      return Preallocation::kFalloc;
    case abi::kQcow2PreallocFull:
      return Preallocation::kFull;
    default:
      return Preallocation::kOff;
  }
}

Qcow2CreateOptions create_options(const abi::OpConfig& op, uint64_t size) {
  Qcow2CreateOptions o;
  o.size = size;
  o.cluster_size = op.qcow2_cluster_size;
  o.refcount_bits = op.qcow2_refcount_bits;
  o.compat_v3 = (op.qcow2_create_flags & abi::kQcow2CompatV2) == 0;
  o.lazy_refcounts = (op.qcow2_create_flags & abi::kQcow2LazyRefcounts) != 0;
  o.extended_l2 = (op.qcow2_create_flags & abi::kQcow2ExtendedL2) != 0;
  o.compression_type = static_cast<uint8_t>(op.qcow2_compression_type);
  // Lengths beyond the buffers fail create()'s checks as too long, as qemu's would.
  o.has_backing_file = (op.convert_backing_flags & abi::kConvertBackingName) != 0;
  o.backing_file = Bytes(op.convert_backing_name, op.convert_backing_name_length);
  o.has_backing_fmt = (op.convert_backing_flags & abi::kConvertBackingFmt) != 0;
  o.backing_fmt = Bytes(op.convert_backing_fmt, op.convert_backing_fmt_length);
  o.preallocation = preallocation_mode(op.convert_qcow2_preallocation);
  return o;
}

}  // namespace instar::qcow2
