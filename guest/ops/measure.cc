// measure.cc: qcow2_measure's block-status walk over any input format, and its bitmaps.
#include "guest/ops/measure.h"

#include "guest/formats/qcow2/measure_size.h"
#include "guest/ops/compare_image.h"
#include "guest/ops/info.h"
#include "guest/ops/input_chain.h"
#include "guest/ops/snapshot_load.h"

namespace instar {

namespace {

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

Outcome failure(instar_guest_MeasureKind kind, const Status& error, const ErrorNames* names) {
  Outcome o;
  o.kind = kind;
  o.error = error;
  o.names = names;
  return o;
}

Outcome measure(const abi::OpConfig& op, BlockSource* const* devices, uint32_t device_count,
                Arena& arena) {
  auto* detail = static_cast<ErrorNames*>(arena.allocate(sizeof(ErrorNames), alignof(ErrorNames)));
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
  // -l: right after the open, as img_measure loads it.
  const Status snapshot = load_selected_snapshot(op, top.driver(), top.format(), arena);
  if (!snapshot.ok()) {
    return failure(instar_guest_MeasureKind_MEASURE_SNAPSHOT_FAILED, snapshot, nullptr);
  }
  Outcome o;
  o.length = top.length();
  if (cluster_size == 0) return o;
  // The persistent bitmaps of formats that have them (qcow2 v3).
  const Status sized = top.driver().measure_bitmaps(o.length, cluster_size, arena, detail,
                                                    &o.supports_bitmaps, &o.bitmaps_size);
  if (!sized.ok()) return failure(instar_guest_MeasureKind_MEASURE_OPEN_FAILED, sized, detail);
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
