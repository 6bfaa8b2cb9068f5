// measure.cc: qcow2_measure's block-status walk and qcow2_get_persistent_dirty_bitmap_size().
#include "guest/ops/measure.h"

#include "guest/formats/qcow2/bitmap_directory.h"
#include "guest/formats/qcow2/measure_size.h"
#include "guest/formats/qcow2/open.h"
#include "guest/formats/qcow2/snapshot_table.h"
#include "guest/formats/windowed_reader.h"
#include "guest/ops/compare_image.h"
#include "guest/ops/info.h"
#include "guest/ops/input_chain.h"

namespace instar {

namespace {

constexpr uint64_t kTableWindowSize = 256 * 1024;

struct Outcome {
  instar_guest_MeasureKind kind = instar_guest_MeasureKind_MEASURE_MEASURED;
  uint64_t length = 0;
  uint64_t data_bytes = 0;
  bool supports_bitmaps = false;
  uint64_t bitmaps_size = 0;
  Status error;
  const ErrorNames* names = nullptr;
};

// qcow2_measure()'s loop: zero extents are skipped; allocated data extends to the end of its
// cluster, and the clusters it touches count from the start of the first.
Status count_data(CompareImage& image, uint64_t cluster_size, uint64_t* out) {
  const uint64_t length = image.length();
  uint64_t data = 0;
  uint64_t offset = 0;
  while (offset < length) {
    BlockStatus s;
    INSTAR_TRY(image.block_status(offset, length - offset, &s));
    uint64_t pnum = s.bytes;
    if ((s.flags & kBlockZero) != 0) {
      // zeros need no cluster
    } else if ((s.flags & (kBlockData | kBlockAllocated)) == (kBlockData | kBlockAllocated)) {
      pnum = qcow2::round_up_to_cluster(offset + pnum, cluster_size) - offset;
      data += offset % cluster_size + pnum;
    }
    offset += pnum;
  }
  *out = data;
  return Status::Ok();
}

// The persistent bitmaps qemu loads on open (none when the extension is ignored): each one's
// data and table clusters, then the directory rounded up to a cluster.
Status bitmaps_size(BlockSource& source, uint64_t image_length, uint64_t cluster_size, Arena& arena,
                    qcow2::OpenErrorDetail* detail, bool* supported, uint64_t* out) {
  auto* window = arena.allocate_array<uint8_t>(kTableWindowSize);
  auto* names = arena.allocate_array<uint8_t>(qcow2::kSnapshotNameScratchSize);
  auto* metadata = static_cast<qcow2::Metadata*>(
      arena.allocate(sizeof(qcow2::Metadata), alignof(qcow2::Metadata)));
  if (window == nullptr || names == nullptr || metadata == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  WindowedReader reader(source, MutableBytes(window, kTableWindowSize));
  const qcow2::TableScratch tables{&reader, MutableBytes(names, qcow2::kSnapshotNameScratchSize)};
  *metadata = qcow2::Metadata();
  detail->clear();
  INSTAR_TRY(qcow2::open_image(source, arena, tables, metadata, detail));
  *supported = metadata->header.version >= 3;
  *out = 0;
  const qcow2::HeaderExtensions& e = metadata->extensions;
  if (!*supported || e.bitmaps_ignored || e.nb_bitmaps == 0) return Status::Ok();
  qcow2::BitmapDirectoryReader bitmaps(reader, e.bitmap_directory_offset, e.bitmap_directory_size,
                                       e.nb_bitmaps, metadata->header.cluster_size(),
                                       metadata->header.virtual_size(), tables.names);
  INSTAR_TRY(bitmaps.start());
  uint64_t total = 0;
  uint64_t directory = 0;
  qcow2::Bitmap b;
  while (!bitmaps.at_end()) {
    INSTAR_TRY(bitmaps.next(&b));
    total += qcow2::measure_bitmap_size(image_length, b.granularity_bits, cluster_size);
    directory += qcow2::bitmap_directory_entry_size(b.name.size);
  }
  INSTAR_TRY(bitmaps.finish());
  *out = total + qcow2::round_up_to_cluster(directory, cluster_size);
  return Status::Ok();
}

Status emit_outcome(const Outcome& o, MessageSink& sink, Arena& arena) {
  const bool is_error = !o.error.ok();
  if (is_error) INSTAR_TRY(emit_error(sink, arena, o.error, o.names));
  const uint64_t mark = arena.mark();
  auto* message = static_cast<instar_guest_GuestMessage*>(
      arena.allocate(sizeof(instar_guest_GuestMessage), alignof(instar_guest_GuestMessage)));
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  *message = instar_guest_GuestMessage_init_zero;
  message->which_body = instar_guest_GuestMessage_measure_result_tag;
  instar_guest_MeasureResult& r = message->body.measure_result;
  r.kind = o.kind;
  if (!is_error) {
    r.length = o.length;
    r.data_bytes = o.data_bytes;
    r.supports_bitmaps = o.supports_bitmaps;
    r.bitmaps_size = o.bitmaps_size;
  }
  const Status emitted = emit_message(sink, arena, *message);
  arena.release_to(mark);
  INSTAR_TRY(emitted);
  return emit_done(sink, arena, is_error ? 1 : 0);
}

Outcome failure(instar_guest_MeasureKind kind, const Status& error,
                const qcow2::OpenErrorDetail* names) {
  Outcome o;
  o.kind = kind;
  o.error = error;
  o.names = names;
  return o;
}

Outcome measure(const abi::OpConfig& op, BlockSource* const* devices, uint32_t device_count,
                Arena& arena) {
  auto* detail = static_cast<qcow2::OpenErrorDetail*>(
      arena.allocate(sizeof(qcow2::OpenErrorDetail), alignof(qcow2::OpenErrorDetail)));
  if (detail == nullptr) {
    return failure(instar_guest_MeasureKind_MEASURE_OPEN_FAILED,
                   Status(instar_guest_ErrorCode_ERROR_INTERNAL), nullptr);
  }
  const uint64_t cluster_size = op.measure_cluster_size;
  if (cluster_size != 0 && (cluster_size & (cluster_size - 1)) != 0) {
    return failure(instar_guest_MeasureKind_MEASURE_OPEN_FAILED,
                   Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, cluster_size), nullptr);
  }
  InputChain chain;
  const Status opened =
      open_input_chain(op.input_device[0], op.input_format[0], op.chain[0], op.chain_length[0],
                       devices, device_count, arena, detail, &chain);
  if (!opened.ok()) return failure(instar_guest_MeasureKind_MEASURE_OPEN_FAILED, opened, detail);
  CompareImage& top = *chain.images[0];
  Outcome o;
  o.length = top.length();
  if (cluster_size == 0) return o;
  if (top.is_qcow2()) {
    // The top image opened already, so its header reads again; only the bitmaps are new.
    const Status sized = bitmaps_size(*devices[op.input_device[0]], o.length, cluster_size, arena,
                                      detail, &o.supports_bitmaps, &o.bitmaps_size);
    if (!sized.ok()) return failure(instar_guest_MeasureKind_MEASURE_OPEN_FAILED, sized, detail);
  }
  const Status counted = count_data(top, cluster_size, &o.data_bytes);
  if (!counted.ok()) {
    return failure(instar_guest_MeasureKind_MEASURE_STATUS_FAILED, counted, nullptr);
  }
  return o;
}

}  // namespace

Status run_measure(const abi::OpConfig& op, BlockSource* const* devices, uint32_t device_count,
                   MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  const Outcome outcome = measure(op, devices, device_count, arena);
  const Status emitted = emit_outcome(outcome, sink, arena);
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
