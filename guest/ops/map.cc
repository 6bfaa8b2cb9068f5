// map.cc: img_map's walk (qemu-img.c get_block_status, entry_mergeable) over an image's chain.
#include "guest/ops/map.h"

#include "guest/ops/compare_image.h"
#include "guest/ops/info.h"
#include "guest/ops/input_chain.h"

namespace instar {

namespace {

constexpr uint64_t kInt64Max = 0x7fffffffffffffffull;

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

// The end of img_map's walk: MIN(start_offset + max_length, length), in int64_t arithmetic. A
// sum beyond INT64_MAX wraps negative in qemu, so its loop never runs.
uint64_t walk_end(const abi::OpConfig& op, uint64_t length) {
  if (op.map_length == abi::kMapNoMaxLength) return length;
  if (op.map_length > kInt64Max - op.map_start) return 0;
  return min64(op.map_start + op.map_length, length);
}

// The extents of one walk, merged and batched into MapExtents messages.
class ExtentStream {
 public:
  ExtentStream(MessageSink& sink, Arena& arena, instar_guest_GuestMessage* message)
      : sink_(sink), arena_(arena), message_(message) {
    *message_ = instar_guest_GuestMessage_init_zero;
    message_->which_body = instar_guest_GuestMessage_map_extents_tag;
  }

  // Adds the next answer (it starts where the one before ended).
  Status add(const instar_guest_MapExtent& next) {
    if (has_pending_ && mergeable(pending_, next)) {
      pending_.length += next.length;
      return Status::Ok();
    }
    if (has_pending_) INSTAR_TRY(push(pending_));
    pending_ = next;
    has_pending_ = true;
    return Status::Ok();
  }

  // Sends what is left.
  Status flush() {
    if (has_pending_) INSTAR_TRY(push(pending_));
    has_pending_ = false;
    if (message_->body.map_extents.extents_count == 0) return Status::Ok();
    const Status emitted = emit_message(sink_, arena_, *message_);
    message_->body.map_extents.extents_count = 0;
    return emitted;
  }

 private:
  // entry_mergeable(): the filename test is implied, the file being a function of the depth.
  static bool mergeable(const instar_guest_MapExtent& a, const instar_guest_MapExtent& b) {
    if (a.flags != b.flags || a.depth != b.depth) return false;
    return (a.flags & kBlockOffsetValid) == 0 || a.offset + a.length == b.offset;
  }

  Status push(const instar_guest_MapExtent& extent) {
    instar_guest_MapExtents& batch = message_->body.map_extents;
    if (batch.extents_count == kMapExtentsPerMessage) INSTAR_TRY(flush_batch());
    batch.extents[batch.extents_count++] = extent;
    return Status::Ok();
  }

  Status flush_batch() {
    const Status emitted = emit_message(sink_, arena_, *message_);
    message_->body.map_extents.extents_count = 0;
    return emitted;
  }

  MessageSink& sink_;
  Arena& arena_;
  instar_guest_GuestMessage* message_;
  instar_guest_MapExtent pending_ = instar_guest_MapExtent_init_zero;
  bool has_pending_ = false;
};

static_assert(sizeof(instar_guest_MapExtents::extents) / sizeof(instar_guest_MapExtent) ==
                  kMapExtentsPerMessage,
              "guest.options MapExtents.extents max_count");

// get_block_status(): the first layer from the top that reports data or zeros answers, with
// its depth; below a layer only the range that layer reported is asked.
Status block_status(CompareImage* top, uint64_t offset, uint64_t bytes,
                    instar_guest_MapExtent* out) {
  CompareImage* layer = top;
  uint32_t depth = 0;
  BlockStatus s;
  for (;;) {
    INSTAR_TRY(layer->layer_status(offset, bytes, &s));
    // Each layer is asked only inside the range the layer above it covers, and a layer that
    // ends before `offset` makes the one above it report zeros: pnum 0 is a guest bug.
    if (s.bytes == 0) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    if ((s.flags & (kBlockData | kBlockZero)) != 0) break;
    layer = layer->backing();
    if (layer == nullptr) {
      s.flags = 0;
      break;
    }
    bytes = s.bytes;
    ++depth;
  }
  *out = instar_guest_MapExtent_init_zero;
  out->start = offset;
  out->length = s.bytes;
  out->depth = depth;
  out->flags = s.flags & (kBlockData | kBlockZero | kBlockOffsetValid | kBlockAllocated);
  if (s.compressed) out->flags |= kMapFlagCompressed;
  if ((s.flags & kBlockOffsetValid) != 0) out->offset = s.host_offset;
  return Status::Ok();
}

Status emit_result(MessageSink& sink, Arena& arena, instar_guest_GuestMessage* message,
                   instar_guest_MapEnd end, uint64_t offset) {
  *message = instar_guest_GuestMessage_init_zero;
  message->which_body = instar_guest_GuestMessage_map_result_tag;
  message->body.map_result.end = end;
  message->body.map_result.offset = offset;
  INSTAR_TRY(emit_message(sink, arena, *message));
  return emit_done(sink, arena, end == instar_guest_MapEnd_MAP_COMPLETE ? 0 : 1);
}

Status walk(const abi::OpConfig& op, CompareImage* top, MessageSink& sink, Arena& arena,
            instar_guest_GuestMessage* message) {
  const uint64_t length = top->length();
  *message = instar_guest_GuestMessage_init_zero;
  message->which_body = instar_guest_GuestMessage_map_begin_tag;
  message->body.map_begin.length = length;
  INSTAR_TRY(emit_message(sink, arena, *message));

  const uint64_t end = walk_end(op, length);
  ExtentStream stream(sink, arena, message);
  for (uint64_t offset = op.map_start; offset < end;) {
    instar_guest_MapExtent next;
    const Status status = block_status(top, offset, end - offset, &next);
    if (!status.ok()) {
      INSTAR_TRY(stream.flush());
      INSTAR_TRY(emit_error(sink, arena, status, nullptr));
      return emit_result(sink, arena, message, instar_guest_MapEnd_MAP_STATUS_FAILED, offset);
    }
    INSTAR_TRY(stream.add(next));
    offset += next.length;
  }
  INSTAR_TRY(stream.flush());
  return emit_result(sink, arena, message, instar_guest_MapEnd_MAP_COMPLETE, 0);
}

}  // namespace

Status run_map(const abi::OpConfig& op, BlockSource* const* devices, uint32_t device_count,
               MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  // The GuestMessage union is KiBs large: keep it in the arena, not on the guest's small stack.
  auto* message = static_cast<instar_guest_GuestMessage*>(
      arena.allocate(sizeof(instar_guest_GuestMessage), alignof(instar_guest_GuestMessage)));
  auto* detail = static_cast<ErrorNames*>(arena.allocate(sizeof(ErrorNames), alignof(ErrorNames)));
  auto* chain = static_cast<InputChain*>(arena.allocate(sizeof(InputChain), alignof(InputChain)));
  Status emitted;
  if (message == nullptr || detail == nullptr || chain == nullptr) {
    emitted = emit_error(sink, arena, Status(instar_guest_ErrorCode_ERROR_INTERNAL), nullptr);
    if (emitted.ok()) emitted = emit_done(sink, arena, 1);
    arena.release_to(mark);
    return emitted;
  }
  *chain = InputChain();
  Status opened = Status::Ok();
  if (op.map_start > kInt64Max ||
      (op.map_length != abi::kMapNoMaxLength && op.map_length > kInt64Max)) {
    opened = Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  } else {
    opened = open_input_chain(op.input_device[0], op.input_format[0], op.chain[0],
                              op.chain_length[0], devices, device_count, arena, detail, chain);
  }
  if (!opened.ok()) {
    emitted = emit_error(sink, arena, opened, detail);
    if (emitted.ok()) {
      emitted = emit_result(sink, arena, message, instar_guest_MapEnd_MAP_OPEN_FAILED, 0);
    }
  } else {
    emitted = walk(op, chain->images[0], sink, arena, message);
  }
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
