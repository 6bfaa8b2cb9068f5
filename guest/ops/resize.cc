// resize.cc: img_resize's guest half: the image opened as qemu opens it, qemu-img's size checks,
// then qcow2_co_truncate() for a qcow2 image.
#include "guest/ops/resize.h"

#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/qcow2/resize.h"
#include "guest/lib/error_names.h"
#include "guest/ops/in_place_image.h"

namespace instar {

namespace {

// BDRV_MAX_LENGTH: bdrv_check_request()'s limit on any offset.
constexpr uint64_t kMaxLength = 0x7fffffffc0000000ull;

// The resize-only reasons guest.proto lists for ERROR_RESIZE_UNSUPPORTED (the others are
// InPlaceRefusal's).
enum Unsupported : uint64_t {
  kBackingFile = 1,
  kPreallocation = 7,
  kOtherFormat = 9,
};

struct Outcome {
  instar_guest_ResizeKind kind = instar_guest_ResizeKind_RESIZE_KIND_UNSPECIFIED;
  instar_guest_Format format = instar_guest_Format_FORMAT_UNKNOWN;
  instar_guest_RawHead raw_head = instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  uint64_t file_length = 0;
  Status error;
  ErrorNames* names = nullptr;
};

Status unsupported(uint64_t why) {
  return Status(instar_guest_ErrorCode_ERROR_RESIZE_UNSUPPORTED, why);
}

// What qcow2_co_truncate() and the open before it would do that instar does not: refused before
// anything is written.
Status refusal(const qcow2::Metadata& m, uint32_t preallocation) {
  if (m.has_backing_file) return unsupported(kBackingFile);
  if (const InPlaceRefusal why = in_place_refusal(m); why != kInPlaceSupported) {
    return unsupported(why);
  }
  if (preallocation != 0) return unsupported(kPreallocation);
  return Status::Ok();
}

// img_resize's checks between the open and blk_truncate(), then bdrv_co_truncate()'s own.
// False when the outcome is decided.
bool check_size(const abi::OpConfig& op, Outcome* o) {
  const int64_t total = resize_total(o->old_size, op.resize_size,
                                     static_cast<abi::ResizeRelative>(op.resize_relative));
  o->new_size = static_cast<uint64_t>(total);
  if (total <= 0) {
    o->kind = instar_guest_ResizeKind_RESIZE_NOT_POSITIVE;
    return false;
  }
  if (o->new_size <= o->old_size && op.resize_preallocation != 0) {
    o->kind = instar_guest_ResizeKind_RESIZE_PREALLOC_NOT_GROW;
    return false;
  }
  if (o->new_size < o->old_size && (op.resize_flags & abi::kResizeShrink) == 0) {
    o->kind = instar_guest_ResizeKind_RESIZE_NEEDS_SHRINK;
    return false;
  }
  if (o->new_size > kMaxLength) {
    o->kind = instar_guest_ResizeKind_RESIZE_FAILED;
    o->error = Status(instar_guest_ErrorCode_ERROR_RESIZE_OVER_MAXIMUM, o->new_size, kMaxLength);
    return false;
  }
  return true;
}

void resize_qcow2(const abi::OpConfig& op, BlockSource& device, BlockSource& source,
                  BlockSink& sink, Arena& arena, Outcome* o) {
  o->format = instar_guest_Format_FORMAT_QCOW2;
  qcow2::OpenScratch scratch;
  if (const Status s = open_in_place_qcow2(source, arena, o->names, &scratch); !s.ok()) {
    o->kind = instar_guest_ResizeKind_RESIZE_OPEN_FAILED;
    o->error = s;
    return;
  }
  const qcow2::Metadata& m = *scratch.metadata;
  const qcow2::Header& h = m.header;
  o->old_size = h.virtual_size();
  if (!check_size(op, o)) return;
  o->kind = instar_guest_ResizeKind_RESIZE_FAILED;
  // qcow2_co_truncate()'s refusals, in its order.
  if (o->new_size % 512 != 0) {
    o->error = Status(instar_guest_ErrorCode_ERROR_RESIZE_UNALIGNED);
    return;
  }
  if (h.nb_snapshots != 0 && h.version < 3) {
    o->error = Status(instar_guest_ErrorCode_ERROR_RESIZE_V2_SNAPSHOTS);
    return;
  }
  o->error = refusal(m, op.resize_preallocation);
  if (!o->error.ok()) return;
  const qcow2::ResizeImage image{&h, &device, &sink, op.resize_file_length};
  o->error = qcow2::resize_image(image, o->new_size, arena, &o->file_length);
  if (o->error.ok()) o->kind = instar_guest_ResizeKind_RESIZE_DONE;
}

void resize(const abi::OpConfig& op, BlockSource& device, BlockSink& sink, Arena& arena,
            Outcome* o) {
  OpenedFile source(device, op.resize_file_length);
  const auto requested = static_cast<abi::ImageFormat>(op.input_format[0]);
  Result<const FormatDriver*> driver =
      select_in_place_driver(source, requested, arena, &o->raw_head);
  if (!driver.ok()) {
    o->kind = instar_guest_ResizeKind_RESIZE_OPEN_FAILED;
    o->error = driver.status();
    return;
  }
  if (driver.value()->format == abi::ImageFormat::kQcow2) {
    resize_qcow2(op, device, source, sink, arena, o);
    return;
  }
  if (driver.value()->format != abi::ImageFormat::kRaw) {
    // vmdk, vdi, qed: their own truncate callbacks rewrite metadata; never the raw path, which
    // would only truncate the file.
    o->format = driver.value()->info_format;
    o->kind = instar_guest_ResizeKind_RESIZE_FAILED;
    o->error = unsupported(kOtherFormat);
    return;
  }
  // raw: blk_getlength() is the file's length in whole sectors; the host truncates the file.
  o->format = instar_guest_Format_FORMAT_RAW;
  o->old_size = op.resize_file_length / 512 * 512 + (op.resize_file_length % 512 != 0 ? 512 : 0);
  if (!check_size(op, o)) return;
  o->kind = instar_guest_ResizeKind_RESIZE_RAW;
}

Status emit_outcome(const Outcome& o, MessageSink& sink, Arena& arena) {
  if (!o.error.ok()) INSTAR_TRY(emit_error(sink, arena, o.error, o.names));
  instar_guest_GuestMessage* message =
      allocate_message(arena, instar_guest_GuestMessage_resize_result_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_ResizeResult& r = message->body.resize_result;
  r.kind = o.kind;
  r.format = o.format;
  r.raw_head = o.raw_head;
  r.old_size = o.old_size;
  r.new_size = o.new_size;
  r.file_length = o.file_length;
  INSTAR_TRY(emit_message(sink, arena, *message));
  const bool resized =
      o.kind == instar_guest_ResizeKind_RESIZE_DONE || o.kind == instar_guest_ResizeKind_RESIZE_RAW;
  return emit_done(sink, arena, resized ? 0 : 1);
}

}  // namespace

int64_t resize_total(uint64_t current, uint64_t operand, abi::ResizeRelative relative) {
  switch (relative) {
    case abi::kResizeGrowBy:
      return static_cast<int64_t>(current + operand);
    case abi::kResizeShrinkBy:
      return static_cast<int64_t>(current - operand);
    case abi::kResizeAbsolute:
      break;
  }
  return static_cast<int64_t>(operand);
}

Status run_resize(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                  uint32_t device_count, MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  Outcome o;
  const InPlaceTarget target = in_place_target(op, devices, sinks, device_count, arena);
  if (!target.failure.ok()) {
    o.kind = instar_guest_ResizeKind_RESIZE_FAILED;
    o.error = target.failure;
  } else if (op.resize_relative > abi::kResizeShrinkBy || op.resize_preallocation > 3) {
    o.kind = instar_guest_ResizeKind_RESIZE_FAILED;
    o.error = Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, op.output_device);
  } else {
    o.names = target.names;
    resize(op, *target.device, *target.sink, arena, &o);
  }
  const Status emitted = emit_outcome(o, sink, arena);
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
