// rebase.cc: img_rebase's guest half: the image opened as qemu opens it read-write, then
// bdrv_change_backing_file() with qcow2_change_backing_file()'s header rewrite.
#include "guest/ops/rebase.h"

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/header_rewrite.h"
#include "guest/formats/qcow2/header_writer.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/qcow2/writer.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/error_names.h"
#include "guest/lib/mem.h"
#include "guest/ops/chain_backing.h"
#include "guest/ops/compare_buffers.h"
#include "guest/ops/compare_image.h"
#include "guest/ops/in_place_image.h"
#include "guest/ops/input_chain.h"

#include <new>

namespace instar {

namespace {

// Linux errno values of the failures bdrv_change_backing_file() reports (the host prints their
// strerror()).
constexpr uint32_t kEio = 5;
constexpr uint32_t kEinval = 22;
constexpr uint32_t kEnospc = 28;
constexpr uint32_t kEnotsup = 95;
// RebaseResult.read_failure: which of img_rebase's reads failed.
constexpr uint32_t kReadMetadata = 1;
constexpr uint32_t kReadOld = 2;
constexpr uint32_t kReadNew = 3;
// qemu-img.c's IO_BUF_SIZE: the chunk img_rebase's safe mode compares at a time.
constexpr uint64_t kIoBufSize = 2u << 20;
// The rebase-only reason guest.proto lists for ERROR_REBASE_UNSUPPORTED: a safe rebase that
// must copy data into an image whose L2 tables are shared with a snapshot (qemu copies such a
// table on write; the writer does not yet). The others are InPlaceRefusal's.
constexpr uint64_t kCopySharedTables = 11;
// qcow2_change_backing_file(): a longer name is -EINVAL (the name must fit bs->backing_file).
constexpr uint32_t kMaxBackingName = 1023;

struct Outcome {
  instar_guest_RebaseKind kind = instar_guest_RebaseKind_REBASE_KIND_UNSPECIFIED;
  instar_guest_Format format = instar_guest_Format_FORMAT_UNKNOWN;
  instar_guest_RawHead raw_head = instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
  uint32_t change_errno = 0;
  uint64_t virtual_size = 0;
  uint64_t progress_steps = 0;
  uint32_t read_failure = 0;  // RebaseResult.read_failure
  Status error;
  ErrorNames* names = nullptr;
};

void change_failed(Outcome* o, uint32_t error_number) {
  o->kind = instar_guest_RebaseKind_REBASE_CHANGE_FAILED;
  o->change_errno = error_number;
}

// What qemu's read-write open of the image would write, or what its header rewrite would keep,
// that instar does not reproduce: refused before anything is written.
Status refusal(const qcow2::Metadata& m) {
  if (const InPlaceRefusal why = in_place_refusal(m); why != kInPlaceSupported) {
    return Status(instar_guest_ErrorCode_ERROR_REBASE_UNSUPPORTED, why);
  }
  return Status::Ok();
}

// qcow2_change_backing_file(): the new backing name and format (none: the backing file removed)
// in the open image's header fields.
void set_new_backing(const abi::OpConfig& op, qcow2::HeaderFields* f) {
  f->backing_format = Bytes();
  f->backing_file = Bytes();
  if ((op.rebase_flags & abi::kRebaseNewFormat) != 0) {
    f->backing_format = Bytes(op.convert_backing_fmt, op.convert_backing_fmt_length);
  }
  if ((op.rebase_flags & abi::kRebaseNewName) != 0) {
    f->backing_file = Bytes(op.convert_backing_name, op.convert_backing_name_length);
  }
}

// qcow2_change_backing_file() and qcow2_update_header(): the whole first cluster rewritten.
void change_qcow2(const abi::OpConfig& op, const qcow2::Metadata& opened, BlockSource& source,
                  BlockSink& sink, const qcow2::Qcow2Writer* writer, Arena& arena, Outcome* o) {
  // The copy may have moved the refcount table (and written the header's fields for it).
  qcow2::Metadata m = opened;
  if (writer != nullptr) {
    m.header.refcount_table_offset = writer->refcount_table_offset();
    m.header.refcount_table_clusters = writer->refcount_table_clusters();
  }
  o->error = refusal(m);
  if (!o->error.ok()) {
    o->kind = instar_guest_RebaseKind_REBASE_FAILED;
    return;
  }
  if ((op.rebase_flags & abi::kRebaseNewName) != 0 &&
      op.convert_backing_name_length > kMaxBackingName) {
    change_failed(o, kEinval);
    return;
  }
  qcow2::HeaderRewrite rewrite;
  o->error = qcow2::prepare_header_rewrite(m, source, arena, &rewrite);
  if (!o->error.ok()) {
    o->kind = instar_guest_RebaseKind_REBASE_FAILED;
    return;
  }
  set_new_backing(op, &rewrite.fields);
  // One write of the whole cluster, as bdrv_pwrite() of qemu's header buffer, then a flush.
  const Status written = qcow2::write_header(rewrite, sink);
  if (written.code() == instar_guest_ErrorCode_ERROR_CREATE_HEADER_NO_SPACE) {
    change_failed(o, kEnospc);  // header_ext_add()'s and the name's -ENOSPC
    return;
  }
  if (!written.ok()) {
    change_failed(o, kEio);
    return;
  }
  o->kind = instar_guest_RebaseKind_REBASE_DONE;
}

// The bytes of `image` at [offset, offset + n) as img_rebase reads a backing file: zeros from its
// end on, else a read clamped to its length (which shortens the chunk, `*n`).
Status read_backing_chunk(CompareImage* image, uint64_t offset, uint64_t* n, uint8_t* buffer) {
  const uint64_t length = image != nullptr ? image->length() : 0;
  if (offset >= length) {
    fill_bytes(buffer, 0, *n);
    return Status::Ok();
  }
  if (offset + *n > length) *n = length - offset;
  return image->read(offset, MutableBytes(buffer, *n));
}

// The image as safe mode writes into it: qcow2_open() read-write over the device, the old
// backing chain as its bs->backing. Opened at the first write, so a rebase that copies nothing
// writes nothing but the header.
struct CopyTarget {
  const qcow2::Metadata* metadata = nullptr;
  BlockSource* device = nullptr;
  BlockSink* sink = nullptr;
  uint64_t file_length = 0;
  CompareImage* old_backing = nullptr;
  qcow2::Qcow2Writer* writer = nullptr;
  // The end of the allocation unit (subcluster, or cluster) the last write ended in: qemu's
  // bdrv_is_allocated() sees that write, the image opened for reading before it does not.
  uint64_t allocated_until = 0;
};

// qemu 7.2's qcow2 caches for an image opened by qemu-img: the L2 cache covers the image up to
// 32 MiB of tables, the refcount cache 4 clusters. Only the write-back points differ with the
// slot counts, never the bytes; 8 MiB of L2 tables keeps the arena small (the host's budget).
constexpr uint64_t kCopyL2CacheBytes = 8u << 20;
constexpr uint32_t kCopyRefcountSlots = 4;

qcow2::Qcow2Writer::CacheSlots copy_slots(uint64_t cluster_size) {
  uint64_t l2 = kCopyL2CacheBytes / cluster_size;
  if (l2 < 4) l2 = 4;
  if (l2 > 64) l2 = 64;
  return {static_cast<uint32_t>(l2), kCopyRefcountSlots};
}

Status open_copy_target(CopyTarget* t, Arena& arena) {
  const qcow2::Header& h = t->metadata->header;
  // An L2 table without COPIED is shared with a snapshot: qemu would copy it first.
  OpenedFile file(*t->device, t->file_length);
  const uint64_t l1_bytes = uint64_t{h.l1_size} * qcow2::kL1EntrySize;
  uint8_t entry[8];
  for (uint64_t i = 0; i < l1_bytes; i += 8) {
    INSTAR_TRY(read_zero_filled(file, h.l1_table_offset + i, MutableBytes(entry, 8)));
    const uint64_t e = load_be64(entry);
    if ((e & qcow2::kL1OffsetMask) != 0 && (e & qcow2::kOflagCopied) == 0) {
      return Status(instar_guest_ErrorCode_ERROR_REBASE_UNSUPPORTED, kCopySharedTables);
    }
  }
  void* memory = arena.allocate(sizeof(qcow2::Qcow2Writer), alignof(qcow2::Qcow2Writer));
  void* backing_memory = arena.allocate(sizeof(ChainBacking), alignof(ChainBacking));
  if (memory == nullptr || backing_memory == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  auto* writer = new (memory) qcow2::Qcow2Writer(*t->sink, t->device, arena);
  INSTAR_TRY(writer->open_in_place(h, t->file_length, t->metadata->has_backing_file,
                                   copy_slots(h.cluster_size())));
  if (t->old_backing != nullptr) {
    auto* backing = new (backing_memory) ChainBacking();
    backing->attach(*t->old_backing);
    writer->set_backing(backing);
  }
  t->writer = writer;
  return Status::Ok();
}

// A write failed: qemu's "Error while writing to COW image: <strerror>" where the writer failed
// as qemu's I/O would (an instar refusal or its own limits keep their codes).
Status write_failure(const Status& s) {
  switch (s.code()) {
    case instar_guest_ErrorCode_ERROR_REBASE_UNSUPPORTED:
    case instar_guest_ErrorCode_ERROR_INTERNAL:
      return s;
    case instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP:
      return Status(instar_guest_ErrorCode_ERROR_REBASE_UNSUPPORTED, kCopySharedTables);
    case instar_guest_ErrorCode_ERROR_REFCOUNT_ERRNO:
      return Status(instar_guest_ErrorCode_ERROR_REBASE_WRITE_FAILED, s.arg(0));
    case instar_guest_ErrorCode_ERROR_IMAGE_TOO_LARGE:
      return Status(instar_guest_ErrorCode_ERROR_REBASE_WRITE_FAILED, 27);  // EFBIG
    default:
      return Status(instar_guest_ErrorCode_ERROR_REBASE_WRITE_FAILED, kEio);
  }
}

// One run where the old backing file reads differently from the new one: img_rebase's
// blk_pwrite_zeroes() (flags 0) where the old side lies beyond the old backing file's end, else
// blk_pwrite() of the old bytes.
Status copy_run(CopyTarget* t, uint64_t offset, uint64_t bytes, const uint8_t* old_bytes,
                bool old_is_zero, Arena& arena) {
  if (t->writer == nullptr) INSTAR_TRY(open_copy_target(t, arena));
  const Status s = old_is_zero ? t->writer->write_zeroes(offset, bytes, false)
                               : t->writer->write(offset, Bytes(old_bytes, bytes));
  if (!s.ok()) return write_failure(s);
  const qcow2::Header& h = t->metadata->header;
  const uint64_t unit = h.has_extended_l2() ? h.cluster_size() / 32 : h.cluster_size();
  t->allocated_until = (offset + bytes + unit - 1) / unit * unit;
  return Status::Ok();
}

// img_rebase's safe mode: for every chunk unallocated in the image (bdrv_is_allocated), the old
// backing file's bytes against the new one's, sector by sector (compare_buffers(),
// sectors_differ()), and what differs written into the image (copy_run). The image stays the same
// to its reader throughout (what it gets is what the old backing file held there); the header then
// names the new one.
Status copy_backing_differences(const abi::OpConfig& op, BlockSource* const* devices,
                                uint32_t device_count, CopyTarget* target, Arena& arena,
                                Outcome* o) {
  // The image is read as the file it is (the device may be larger: room for the copy).
  BlockSource** readable = arena.allocate_array<BlockSource*>(device_count);
  auto* image_file =
      static_cast<OpenedFile*>(arena.allocate(sizeof(OpenedFile), alignof(OpenedFile)));
  if (readable == nullptr || image_file == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  for (uint32_t i = 0; i < device_count; ++i) readable[i] = devices[i];
  readable[op.output_device] =
      new (image_file) OpenedFile(*devices[op.output_device], target->file_length);
  devices = readable;
  InputChain top;
  INSTAR_TRY(open_input_chain(op.output_device, op.input_format[0], op.chain[0], op.chain_length[0],
                              devices, device_count, arena, o->names, &top));
  CompareImage* fresh = nullptr;
  if (op.chain_length[1] != 0) {
    InputChain chain;
    INSTAR_TRY(open_input_chain(op.input_device[1], op.input_format[1], op.chain[1],
                                op.chain_length[1], devices, device_count, arena, o->names,
                                &chain));
    fresh = chain.images[0];
  }
  CompareImage& image = *top.images[0];
  target->old_backing = image.backing();
  uint32_t prefix = (op.rebase_flags & abi::kRebasePrefixMask) >> abi::kRebasePrefixShift;
  if (prefix >= top.length) prefix = 0;  // not an image of the chain: compared throughout
  uint8_t* old_buffer = arena.allocate_array<uint8_t>(kIoBufSize);
  uint8_t* new_buffer = arena.allocate_array<uint8_t>(kIoBufSize);
  if (old_buffer == nullptr || new_buffer == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  const uint64_t size = image.length();
  o->virtual_size = size;
  uint64_t n = 0;
  for (uint64_t offset = 0; offset < size; offset += n) {
    n = size - offset < kIoBufSize ? size - offset : kIoBufSize;
    if (offset < target->allocated_until) {  // a write of this run allocated it
      if (target->allocated_until - offset < n) n = target->allocated_until - offset;
      continue;
    }
    BlockStatus status;
    o->read_failure = kReadMetadata;
    INSTAR_TRY(image.layer_status(offset, n, &status));
    n = status.bytes < n ? status.bytes : n;
    o->read_failure = 0;
    if ((status.flags & kBlockAllocated) != 0) continue;  // bdrv_is_allocated()
    if (prefix != 0) {
      // Nothing between the image and the new backing file changed it: old reads as new.
      bool changed = false;
      INSTAR_TRY(allocated_above(top, 1, prefix, offset, &n, &changed));
      if (!changed) continue;
    }
    const bool old_is_zero = image.backing() == nullptr || offset >= image.backing()->length();
    o->read_failure = kReadOld;
    INSTAR_TRY(read_backing_chunk(image.backing(), offset, &n, old_buffer));
    o->read_failure = kReadNew;
    INSTAR_TRY(read_backing_chunk(fresh, offset, &n, new_buffer));
    o->read_failure = 0;
    uint64_t written = 0;
    while (written < n) {
      uint64_t pnum = 0;
      if (sectors_differ(old_buffer + written, new_buffer + written, n - written, &pnum)) {
        INSTAR_TRY(
            copy_run(target, offset + written, pnum, old_buffer + written, old_is_zero, arena));
      }
      written += pnum;
    }
    ++o->progress_steps;
  }
  // Everything copied is on disk before the header names the new backing file (qemu changes the
  // header first and writes its caches back at close).
  if (target->writer != nullptr) {
    const Status flushed = target->writer->flush_in_place();
    if (!flushed.ok()) return write_failure(flushed);
  }
  return Status::Ok();
}

void rebase(const abi::OpConfig& op, BlockSource* const* devices, uint32_t device_count,
            BlockSink& sink, Arena& arena, Outcome* o) {
  BlockSource& device = *devices[op.output_device];
  OpenedFile source(device, op.rebase_file_length);
  const auto requested = static_cast<abi::ImageFormat>(op.input_format[0]);
  Result<const FormatDriver*> driver =
      select_in_place_driver(source, requested, arena, &o->raw_head);
  if (!driver.ok()) {
    o->kind = instar_guest_RebaseKind_REBASE_OPEN_FAILED;
    o->error = driver.status();
    return;
  }
  const bool qcow2 = driver.value()->format == abi::ImageFormat::kQcow2;
  qcow2::OpenScratch scratch;
  if (qcow2) {
    o->format = instar_guest_Format_FORMAT_QCOW2;
    if (const Status s = open_in_place_qcow2(source, arena, o->names, &scratch); !s.ok()) {
      o->kind = instar_guest_RebaseKind_REBASE_OPEN_FAILED;
      o->error = s;
      return;
    }
  } else {
    o->format = instar_guest_Format_FORMAT_RAW;
  }
  if ((op.rebase_flags & abi::kRebaseOpenOnly) != 0) {
    o->kind = instar_guest_RebaseKind_REBASE_OPENED;
    return;
  }
  // A raw image is allocated everywhere: qemu's safe mode compares nothing.
  CopyTarget target;
  if ((op.rebase_flags & abi::kRebaseUnsafe) == 0 && qcow2) {
    target.metadata = scratch.metadata;
    target.device = &device;
    target.sink = &sink;
    target.file_length = op.rebase_file_length;
    // What qemu's read-write open would write first, or instar does not model, is refused
    // before anything is written (the header change refuses the same).
    o->error = refusal(*scratch.metadata);
    if (o->error.ok()) {
      o->error = copy_backing_differences(op, devices, device_count, &target, arena, o);
    }
    if (!o->error.ok()) {
      o->kind = instar_guest_RebaseKind_REBASE_FAILED;
      return;
    }
  }
  // bdrv_change_backing_file(): a format without a name, and (img_rebase passes require=true) a
  // name without a format, are -EINVAL before the driver is asked.
  const bool has_name = (op.rebase_flags & abi::kRebaseNewName) != 0;
  const bool has_format = (op.rebase_flags & abi::kRebaseNewFormat) != 0;
  if (has_format != has_name) {
    change_failed(o, kEinval);
    return;
  }
  if (!qcow2) {
    change_failed(o, kEnotsup);  // raw has no bdrv_change_backing_file
    return;
  }
  change_qcow2(op, *scratch.metadata, source, sink, target.writer, arena, o);
}

Status emit_outcome(const Outcome& o, MessageSink& sink, Arena& arena) {
  if (!o.error.ok()) INSTAR_TRY(emit_error(sink, arena, o.error, o.names));
  instar_guest_GuestMessage* message =
      allocate_message(arena, instar_guest_GuestMessage_rebase_result_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_RebaseResult& r = message->body.rebase_result;
  r.kind = o.kind;
  r.format = o.format;
  r.raw_head = o.raw_head;
  r.change_errno = o.change_errno;
  r.virtual_size = o.virtual_size;
  r.progress_steps = o.progress_steps;
  r.read_failure = o.read_failure;
  INSTAR_TRY(emit_message(sink, arena, *message));
  const bool failed = o.kind != instar_guest_RebaseKind_REBASE_DONE &&
                      o.kind != instar_guest_RebaseKind_REBASE_OPENED;
  return emit_done(sink, arena, failed ? 1 : 0);
}

}  // namespace

Status run_rebase(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                  uint32_t device_count, MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  Outcome o;
  const InPlaceTarget target = in_place_target(op, devices, sinks, device_count, arena);
  if (!target.failure.ok()) {
    o.kind = instar_guest_RebaseKind_REBASE_FAILED;
    o.error = target.failure;
  } else if (op.convert_backing_name_length > sizeof op.convert_backing_name ||
             op.convert_backing_fmt_length > sizeof op.convert_backing_fmt) {
    o.kind = instar_guest_RebaseKind_REBASE_FAILED;
    o.error = Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, op.output_device);
  } else {
    o.names = target.names;
    rebase(op, devices, device_count, *target.sink, arena, &o);
  }
  const Status emitted = emit_outcome(o, sink, arena);
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
