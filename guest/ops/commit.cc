// commit.cc: img_commit's guest half: the commit job (block/mirror.c's mirror_run() as
// commit_active_start() starts it) copying what the images above the base allocate into the base,
// then qcow2_make_empty()'s make_completely_empty() of the top (docs/commit.md).
#include "guest/ops/commit.h"

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/qcow2/header_rewrite.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/qcow2/refcount_entries.h"
#include "guest/formats/qcow2/writer.h"
#include "guest/lib/bytes.h"
#include "guest/lib/error_names.h"
#include "guest/lib/mem.h"
#include "guest/ops/chain_backing.h"
#include "guest/ops/commit_plan.h"
#include "guest/ops/compare_image.h"
#include "guest/ops/in_place_image.h"
#include "guest/ops/input_chain.h"

#include <new>

namespace instar {

namespace {

constexpr uint32_t kEio = 5;
constexpr uint32_t kEfbig = 27;
// ERROR_COMMIT_UNSUPPORTED's reasons (guest.proto); 2-6 are InPlaceRefusal's.
constexpr uint64_t kTopNotQcow2 = 1;
constexpr uint64_t kBaseFormat = 7;
constexpr uint64_t kBaseSmaller = 8;
constexpr uint64_t kBaseSharedTables = 9;
constexpr uint64_t kEmptyFallback = 10;
constexpr uint64_t kEncrypted = 11;
constexpr uint64_t kTop = 0;
constexpr uint64_t kBase = 1;
// CommitResult.progress keeps a step only when it moves the job's progress by more than this (in
// percent: qemu_progress_init(progress, 1.f)'s min_skip).
constexpr float kProgressSkip = 1.0f;
constexpr uint32_t kMaxProgressSteps = 160;  // guest.options CommitResult.progress max_count

struct Outcome {
  instar_guest_CommitKind kind = instar_guest_CommitKind_COMMIT_KIND_UNSPECIFIED;
  instar_guest_Format format = instar_guest_Format_FORMAT_UNKNOWN;
  instar_guest_RawHead raw_head = instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
  uint64_t dirty_bytes = 0;
  uint64_t progress[kMaxProgressSteps] = {};
  uint32_t progress_count = 0;
  uint64_t top_length = 0;
  uint64_t base_length = 0;
  Status error;
  ErrorNames* names = nullptr;
};

Status unsupported(uint64_t why, uint64_t which) {
  return Status(instar_guest_ErrorCode_ERROR_COMMIT_UNSUPPORTED, why, which);
}

// What qemu's read-write open of a qcow2 image would write, or what instar does not model.
Status qcow2_refusal(const qcow2::Metadata& m, uint64_t which) {
  if (m.header.crypt_method != 0) return unsupported(kEncrypted, which);
  if (const InPlaceRefusal why = in_place_refusal(m); why != kInPlaceSupported) {
    return unsupported(why, which);
  }
  return Status::Ok();
}

// qcow2_make_empty() takes make_completely_empty() only for a v3 image without snapshots,
// bitmaps, LUKS or a data file whose L1 table and three more clusters fit one refcount block;
// otherwise it discards cluster by cluster, which instar does not reproduce.
bool empties_completely(const qcow2::Header& h) {
  const uint64_t c = h.cluster_size();
  const uint64_t l1_clusters = (uint64_t{h.l1_size} * qcow2::kL1EntrySize + c - 1) / c;
  const uint64_t refcount_block_entries = c * 8 >> h.refcount_order;
  return h.version >= 3 && h.nb_snapshots == 0 && 3 + l1_clusters <= refcount_block_entries;
}

// A write into the base failed: instar's words (qemu's job reports its own error).
Status write_failure(const Status& s) {
  switch (s.code()) {
    case instar_guest_ErrorCode_ERROR_COMMIT_UNSUPPORTED:
    case instar_guest_ErrorCode_ERROR_INTERNAL:
      return s;
    case instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP:
      return unsupported(kBaseSharedTables, kBase);
    case instar_guest_ErrorCode_ERROR_REFCOUNT_ERRNO:
      return Status(instar_guest_ErrorCode_ERROR_COMMIT_WRITE_FAILED, s.arg(0));
    case instar_guest_ErrorCode_ERROR_IMAGE_TOO_LARGE:
      return Status(instar_guest_ErrorCode_ERROR_COMMIT_WRITE_FAILED, kEfbig);
    default:
      return Status(instar_guest_ErrorCode_ERROR_COMMIT_WRITE_FAILED, kEio);
  }
}

// The base as the job writes into it: a qcow2 image opened read-write (its writes placed as qemu
// places them), or a raw file written as it is.
struct Base {
  BlockSource* device = nullptr;
  BlockSink* sink = nullptr;
  uint64_t file_length = 0;
  uint64_t cluster_size = 0;             // bdrv_get_info(): 0 for raw
  qcow2::Qcow2Writer* writer = nullptr;  // qcow2
  const uint8_t* zeros = nullptr;        // raw: a buffer of zeros
  uint64_t zeros_size = 0;
};

Status base_write(Base& b, uint64_t offset, const uint8_t* data, uint64_t bytes) {
  if (b.writer != nullptr) return b.writer->write(offset, Bytes(data, bytes));
  return b.sink->write_at(offset, Bytes(data, bytes));
}

// blk_co_pwrite_zeroes(target, BDRV_REQ_MAY_UNMAP): a qcow2 base gets zero clusters (its old
// clusters freed), a raw file zeros.
Status base_write_zeroes(Base& b, uint64_t offset, uint64_t bytes) {
  if (b.writer != nullptr) {
    // The zero path writes the L2 table it changes at once (and lowers the refcounts of the
    // clusters it frees after that, as qemu's reverse cache dependency orders it): the refcounts
    // of clusters earlier copies allocated, still cached, must reach the disk first, or that L2
    // table would name clusters whose refcount is still 0 (docs/write-safety.md).
    INSTAR_TRY(b.writer->flush_in_place());
    return b.writer->write_zeroes(offset, bytes, true);
  }
  while (bytes > 0) {
    const uint64_t n = bytes < b.zeros_size ? bytes : b.zeros_size;
    INSTAR_TRY(b.sink->write_at(offset, Bytes(b.zeros, n)));
    offset += n;
    bytes -= n;
  }
  return Status::Ok();
}

// What the job copies, in qemu's order when its parallel copies complete in offset order.
struct Job {
  CompareImage* top = nullptr;
  uint64_t length = 0;  // the top's length (bdev_length)
  uint64_t granularity = 0;
  Base* base = nullptr;
  uint8_t* buffer = nullptr;  // kMaxCopyBytes
  uint64_t done = 0;          // job progress: bytes of finished copies
  float last_step = 0;
  Outcome* o = nullptr;
};

void record_progress(Job& j) {
  Outcome& o = *j.o;
  const float p = commit::progress_percent(j.done, o.dirty_bytes);
  if (p - j.last_step <= kProgressSkip && j.done != o.dirty_bytes) return;
  if (o.progress_count == kMaxProgressSteps) return;
  o.progress[o.progress_count++] = j.done;
  j.last_step = p;
}

// mirror_iteration() over [offset, offset + bytes) of consecutive dirty granules (at most
// kBufSize): each chunk's method from the whole chain's block status, then its copy or zero write.
Status run_iteration(Job& j, uint64_t offset, uint64_t bytes) {
  while (bytes > 0 && offset < j.length) {
    BlockStatus status;
    const uint64_t ask = offset + bytes > j.length ? j.length - offset : bytes;
    INSTAR_TRY(j.top->block_status(offset, ask, &status));
    const commit::Chunk chunk = commit::plan_chunk(offset, bytes, (status.flags & kBlockData) != 0,
                                                   (status.flags & kBlockZero) != 0, status.bytes,
                                                   j.granularity, j.base->cluster_size);
    // mirror_clip_bytes(): nothing past the end of the image.
    const uint64_t io = chunk.bytes < j.length - offset ? chunk.bytes : j.length - offset;
    if (chunk.method == commit::Method::kZero) {
      const Status s = base_write_zeroes(*j.base, offset, io);
      if (!s.ok()) return write_failure(s);
    } else {
      for (uint64_t at = 0; at < io;) {
        const uint64_t n = io - at < commit::kMaxCopyBytes ? io - at : commit::kMaxCopyBytes;
        INSTAR_TRY(j.top->read(offset + at, MutableBytes(j.buffer, n)));
        const Status s = base_write(*j.base, offset + at, j.buffer, n);
        if (!s.ok()) return write_failure(s);
        at += n;
      }
    }
    j.done += io;
    record_progress(j);
    const uint64_t granules = (chunk.bytes + j.granularity - 1) / j.granularity * j.granularity;
    offset += chunk.bytes;
    bytes = granules < bytes ? bytes - granules : 0;
  }
  return Status::Ok();
}

// A run of dirty granules [start, end): mirror_iteration() takes at most kBufSize at a time.
Status run_dirty_run(Job& j, uint64_t start, uint64_t end) {
  while (start < end) {
    const uint64_t n = end - start < commit::kBufSize ? end - start : commit::kBufSize;
    INSTAR_TRY(run_iteration(j, start, n));
    start += n;
  }
  return Status::Ok();
}

// mirror_dirty_init() then the mirror_run() loop: the dirty bitmap of every granule an image
// above the base allocates, walked in offset order. `count_only`: only its size (the progress
// total), nothing copied.
Status walk_dirty(Job& j, const InputChain& chain, uint32_t base, bool count_only) {
  uint64_t run_start = 0;
  uint64_t run_end = 0;  // the pending run of dirty granules (empty when equal)
  uint64_t n = 0;
  for (uint64_t offset = 0; offset < j.length; offset += n) {
    n = j.length - offset;
    bool allocated = false;
    INSTAR_TRY(allocated_above(chain, 0, base, offset, &n, &allocated));
    if (n == 0) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    if (!allocated) continue;
    const commit::Range r = commit::dirty_granules(offset, n, j.granularity);
    if (r.start <= run_end && run_end != run_start) {
      if (r.end > run_end) run_end = r.end;
      continue;
    }
    if (run_end != run_start) {
      if (count_only) {
        j.o->dirty_bytes += run_end - run_start;
      } else {
        INSTAR_TRY(run_dirty_run(j, run_start, run_end));
      }
    }
    run_start = r.start;
    run_end = r.end;
  }
  if (run_end != run_start) {
    if (count_only) {
      j.o->dirty_bytes += run_end - run_start;
    } else {
      INSTAR_TRY(run_dirty_run(j, run_start, run_end));
    }
  }
  return Status::Ok();
}

// An L2 table of the base's active L1 without COPIED is shared with a snapshot: qemu would copy
// it on the first write into it, which the in-place writer does not.
Status check_base_tables(const qcow2::Header& h, BlockSource& file) {
  const uint64_t l1_bytes = uint64_t{h.l1_size} * qcow2::kL1EntrySize;
  uint8_t entry[8];
  for (uint64_t i = 0; i < l1_bytes; i += 8) {
    INSTAR_TRY(read_zero_filled(file, h.l1_table_offset + i, MutableBytes(entry, 8)));
    const uint64_t e = load_be64(entry);
    if ((e & qcow2::kL1OffsetMask) != 0 && (e & qcow2::kOflagCopied) == 0) {
      return unsupported(kBaseSharedTables, kBase);
    }
  }
  return Status::Ok();
}

// The base opened for writing: qcow2_open() read-write of chain image `index` over its writable
// device, or the raw file.
Status open_base(const abi::OpConfig& op, const InputChain& chain, BlockSource* const* devices,
                 BlockSink* const* sinks, uint32_t device_count, uint64_t top_length, Arena& arena,
                 Outcome* o, Base* b) {
  const uint32_t index = op.commit_base_index;
  const uint32_t dev = op.commit_base_device;
  if (!valid_device(dev, devices, device_count) || sinks == nullptr || sinks[dev] == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, dev);
  }
  b->device = devices[dev];
  b->sink = sinks[dev];
  b->file_length = op.commit_base_length;
  CompareImage& image = *chain.images[index];
  if (image.format() == abi::ImageFormat::kRaw) {
    // mirror_run(): a base shorter than the top is grown to the top's length first.
    o->base_length = image.length() < top_length ? top_length : 0;
    uint8_t* zeros = arena.allocate_array<uint8_t>(commit::kMaxCopyBytes);
    if (zeros == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    fill_bytes(zeros, 0, commit::kMaxCopyBytes);
    b->zeros = zeros;
    b->zeros_size = commit::kMaxCopyBytes;
    return Status::Ok();
  }
  if (image.format() != abi::ImageFormat::kQcow2) return unsupported(kBaseFormat, kBase);
  auto* file = static_cast<OpenedFile*>(arena.allocate(sizeof(OpenedFile), alignof(OpenedFile)));
  if (file == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  new (file) OpenedFile(*b->device, b->file_length);
  qcow2::OpenScratch scratch;
  INSTAR_TRY(open_in_place_qcow2(*file, arena, o->names, &scratch));
  const qcow2::Metadata& m = *scratch.metadata;
  INSTAR_TRY(qcow2_refusal(m, kBase));
  if (image.length() < top_length) return unsupported(kBaseSmaller, kBase);
  INSTAR_TRY(check_base_tables(m.header, *file));
  b->cluster_size = m.header.cluster_size();
  void* memory = arena.allocate(sizeof(qcow2::Qcow2Writer), alignof(qcow2::Qcow2Writer));
  void* backing_memory = arena.allocate(sizeof(ChainBacking), alignof(ChainBacking));
  if (memory == nullptr || backing_memory == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  auto* writer = new (memory) qcow2::Qcow2Writer(*b->sink, b->device, arena);
  // qemu 7.2's caches for an image qemu-img opens: the bytes never depend on the slot counts.
  uint64_t l2 = (8u << 20) / b->cluster_size;
  l2 = l2 < 4 ? 4 : (l2 > 64 ? 64 : l2);
  INSTAR_TRY(writer->open_in_place(m.header, b->file_length, m.has_backing_file,
                                   {static_cast<uint32_t>(l2), 4}));
  if (image.backing() != nullptr) {
    auto* backing = new (backing_memory) ChainBacking();
    backing->attach(*image.backing());
    writer->set_backing(backing);
  }
  b->writer = writer;
  return Status::Ok();
}

// make_completely_empty() of the top, in qemu's order: the dirty bit set, the L1 table and the
// clusters after the header zeroed, the header's L1 and refcount table fields, the first
// refcount table entry, the refcount block counting the header, table, block and L1 clusters, and
// the header rewritten clean (qcow2_mark_clean()'s qcow2_update_header()). The host truncates the
// file to `*length` afterwards.
Status empty_top(const qcow2::Metadata& opened, BlockSource& source, BlockSink& sink, Arena& arena,
                 uint64_t* length) {
  qcow2::Metadata m = opened;
  qcow2::Header& h = m.header;
  const uint64_t c = h.cluster_size();
  const uint64_t l1_clusters = (uint64_t{h.l1_size} * qcow2::kL1EntrySize + c - 1) / c;
  uint8_t* cluster = arena.allocate_array<uint8_t>(c);
  if (cluster == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  // The rewrite reads the header cluster as it is now, before anything below changes it.
  qcow2::HeaderRewrite rewrite;
  h.incompatible_features &= ~qcow2::kIncompatDirty;
  h.l1_table_offset = 3 * c;
  h.refcount_table_offset = c;
  h.refcount_table_clusters = 1;
  INSTAR_TRY(qcow2::prepare_header_rewrite(m, source, arena, &rewrite));
  // qcow2_mark_dirty(): the incompatible features word with the dirty bit, flushed.
  uint8_t word[20];
  store_be64(word, opened.header.incompatible_features | qcow2::kIncompatDirty);
  INSTAR_TRY(sink.write_at(72, Bytes(word, 8)));
  INSTAR_TRY(sink.flush());
  fill_bytes(cluster, 0, c);
  for (uint64_t i = 0; i < l1_clusters; ++i) {
    INSTAR_TRY(sink.write_at(opened.header.l1_table_offset + i * c, Bytes(cluster, c)));
  }
  for (uint64_t i = 0; i < 2 + l1_clusters; ++i) {
    INSTAR_TRY(sink.write_at(c + i * c, Bytes(cluster, c)));
  }
  store_be64(word, 3 * c);
  store_be64(word + 8, c);
  store_be32(word + 16, 1);
  INSTAR_TRY(sink.write_at(40, Bytes(word, 20)));
  INSTAR_TRY(sink.flush());
  store_be64(word, 2 * c);
  INSTAR_TRY(sink.write_at(c, Bytes(word, 8)));
  INSTAR_TRY(sink.flush());
  // qcow2_alloc_clusters(3 clusters + the L1 table) from cluster 0, written back by the flush of
  // qcow2_mark_clean().
  for (uint64_t i = 0; i < 3 + l1_clusters; ++i) {
    qcow2::set_refcount(cluster, i, h.refcount_order, 1);
  }
  INSTAR_TRY(sink.write_at(2 * c, Bytes(cluster, c)));
  INSTAR_TRY(sink.flush());
  INSTAR_TRY(qcow2::write_header(rewrite, sink));
  *length = (3 + l1_clusters) * c;
  return Status::Ok();
}

void run_job(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
             uint32_t device_count, Arena& arena, Outcome* o) {
  const auto fail = [o](instar_guest_CommitKind kind, const Status& s) {
    o->kind = kind;
    o->error = s;
  };
  const uint32_t out = op.output_device;
  if (!valid_device(out, devices, device_count)) {
    fail(instar_guest_CommitKind_COMMIT_FAILED,
         Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, out));
    return;
  }
  const bool drop = (op.commit_flags & abi::kCommitDrop) != 0;
  BlockSink* top_sink = sinks != nullptr ? sinks[out] : nullptr;
  if (!drop && top_sink == nullptr && (op.commit_flags & abi::kCommitOpenOnly) == 0) {
    fail(instar_guest_CommitKind_COMMIT_FAILED,
         Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, out));
    return;
  }
  OpenedFile source(*devices[out], op.commit_top_length);
  const auto requested = static_cast<abi::ImageFormat>(op.input_format[0]);
  Result<const FormatDriver*> driver =
      select_in_place_driver(source, requested, arena, &o->raw_head);
  if (!driver.ok()) {
    fail(instar_guest_CommitKind_COMMIT_OPEN_FAILED, driver.status());
    return;
  }
  qcow2::OpenScratch scratch;
  if (driver.value()->format == abi::ImageFormat::kQcow2) {
    o->format = instar_guest_Format_FORMAT_QCOW2;
    if (const Status s = open_in_place_qcow2(source, arena, o->names, &scratch); !s.ok()) {
      fail(instar_guest_CommitKind_COMMIT_OPEN_FAILED, s);
      return;
    }
  } else {
    o->format = driver.value()->format == abi::ImageFormat::kRaw
                    ? instar_guest_Format_FORMAT_RAW
                    : instar_guest_Format_FORMAT_UNKNOWN;
  }
  if ((op.commit_flags & abi::kCommitOpenOnly) != 0) {
    o->kind = instar_guest_CommitKind_COMMIT_OPENED;
    return;
  }
  if (scratch.metadata == nullptr) {
    fail(instar_guest_CommitKind_COMMIT_FAILED, unsupported(kTopNotQcow2, kTop));
    return;
  }
  const qcow2::Metadata& top_meta = *scratch.metadata;
  Status s = qcow2_refusal(top_meta, kTop);
  if (s.ok() && !drop && !empties_completely(top_meta.header)) {
    s = unsupported(kEmptyFallback, kTop);
  }
  if (!s.ok()) {
    fail(instar_guest_CommitKind_COMMIT_FAILED, s);
    return;
  }
  // The chain, read as qemu's job reads it: the top as the file it is.
  BlockSource** readable = arena.allocate_array<BlockSource*>(device_count);
  if (readable == nullptr) {
    fail(instar_guest_CommitKind_COMMIT_FAILED, Status(instar_guest_ErrorCode_ERROR_INTERNAL));
    return;
  }
  for (uint32_t i = 0; i < device_count; ++i) readable[i] = devices[i];
  readable[out] = &source;
  InputChain chain;
  s = open_input_chain(out, op.input_format[0], op.chain[0], op.chain_length[0], readable,
                       device_count, arena, o->names, &chain);
  if (!s.ok()) {
    fail(instar_guest_CommitKind_COMMIT_OPEN_FAILED, s);
    return;
  }
  if (op.commit_base_index == 0 || op.commit_base_index >= chain.length) {
    fail(instar_guest_CommitKind_COMMIT_FAILED,
         Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, op.commit_base_index));
    return;
  }
  Job j;
  j.top = chain.images[0];
  j.length = j.top->length();
  j.o = o;
  Base base;
  s = open_base(op, chain, devices, sinks, device_count, j.length, arena, o, &base);
  if (s.ok()) {
    j.base = &base;
    j.granularity = commit::granularity(base.cluster_size);
    j.buffer = arena.allocate_array<uint8_t>(commit::kMaxCopyBytes);
    if (j.buffer == nullptr) s = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  if (s.ok()) s = walk_dirty(j, chain, op.commit_base_index, true);
  if (s.ok()) s = walk_dirty(j, chain, op.commit_base_index, false);
  // The base's data is on disk before anything of the top changes (docs/write-safety.md).
  if (s.ok()) {
    const Status flushed =
        base.writer != nullptr ? base.writer->flush_in_place() : base.sink->flush();
    if (!flushed.ok()) s = write_failure(flushed);
  }
  if (s.ok() && !drop) {
    s = empty_top(top_meta, source, *top_sink, arena, &o->top_length);
    if (!s.ok() && s.code() != instar_guest_ErrorCode_ERROR_INTERNAL) {
      s = Status(instar_guest_ErrorCode_ERROR_COMMIT_WRITE_FAILED, kEio);
    }
  }
  if (!s.ok()) {
    fail(instar_guest_CommitKind_COMMIT_FAILED, s);
    return;
  }
  o->kind = instar_guest_CommitKind_COMMIT_DONE;
}

Status emit_outcome(const Outcome& o, MessageSink& sink, Arena& arena) {
  if (!o.error.ok()) INSTAR_TRY(emit_error(sink, arena, o.error, o.names));
  instar_guest_GuestMessage* message =
      allocate_message(arena, instar_guest_GuestMessage_commit_result_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_CommitResult& r = message->body.commit_result;
  r.kind = o.kind;
  r.format = o.format;
  r.raw_head = o.raw_head;
  r.dirty_bytes = o.dirty_bytes;
  r.progress_count = o.progress_count;
  for (uint32_t i = 0; i < o.progress_count; ++i) r.progress[i] = o.progress[i];
  r.top_length = o.top_length;
  r.base_length = o.base_length;
  INSTAR_TRY(emit_message(sink, arena, *message));
  const bool failed = o.kind != instar_guest_CommitKind_COMMIT_DONE &&
                      o.kind != instar_guest_CommitKind_COMMIT_OPENED;
  return emit_done(sink, arena, failed ? 1 : 0);
}

}  // namespace

Status run_commit(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                  uint32_t device_count, MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  Outcome* o = static_cast<Outcome*>(arena.allocate(sizeof(Outcome), alignof(Outcome)));
  ErrorNames* names =
      static_cast<ErrorNames*>(arena.allocate(sizeof(ErrorNames), alignof(ErrorNames)));
  Status emitted;
  if (o == nullptr || names == nullptr) {
    emitted = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  } else {
    new (o) Outcome();
    names->clear();
    o->names = names;
    run_job(op, devices, sinks, device_count, arena, o);
    emitted = emit_outcome(*o, sink, arena);
  }
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
