// snapshot.cc: img_snapshot's guest half: the image opened as qemu opens it read-write, then
// bdrv_snapshot_create() or bdrv_snapshot_find() + bdrv_snapshot_delete() for qcow2.
#include "guest/ops/snapshot.h"

#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/qcow2/snapshot_edit.h"
#include "guest/lib/error_names.h"
#include "guest/ops/in_place_image.h"
#include "guest/ops/input_chain.h"

namespace instar {

namespace {

// The reasons guest.proto lists for ERROR_SNAPSHOT_UNSUPPORTED beyond ReadWriteObstacle's 1-5.
enum Unsupported : uint64_t {
  kOtherFormat = 6,
};

struct Outcome {
  instar_guest_SnapshotKind kind = instar_guest_SnapshotKind_SNAPSHOT_KIND_UNSPECIFIED;
  instar_guest_Format format = instar_guest_Format_FORMAT_UNKNOWN;
  instar_guest_RawHead raw_head = instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
  uint32_t error_number = 0;
  uint64_t file_length = 0;
  Status error;
  ErrorNames* names = nullptr;
};

void fail(Outcome* o, const Status& s) {
  o->kind = instar_guest_SnapshotKind_SNAPSHOT_FAILED;
  o->error = s;
}

void snapshot_qcow2(const abi::OpConfig& op, BlockSource& device, BlockSource& source,
                    BlockSink& sink, Arena& arena, Outcome* o) {
  o->format = instar_guest_Format_FORMAT_QCOW2;
  qcow2::OpenScratch scratch;
  if (const Status s = open_in_place_qcow2(source, arena, o->names, &scratch); !s.ok()) {
    o->kind = instar_guest_SnapshotKind_SNAPSHOT_OPEN_FAILED;
    o->error = s;
    return;
  }
  // ERROR_SNAPSHOT_UNSUPPORTED numbers these reasons one below InPlaceRefusal (1: data file).
  if (const InPlaceRefusal why = in_place_refusal(*scratch.metadata); why != kInPlaceSupported) {
    fail(o, Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_UNSUPPORTED, why - 1));
    return;
  }
  const qcow2::SnapshotEditImage image{scratch.metadata, &scratch.tables, &device, &sink,
                                       op.snapshot_file_length};
  const Bytes name(op.snapshot_name, op.snapshot_name_length);
  qcow2::SnapshotEdit edit;
  switch (static_cast<abi::SnapshotAction>(op.snapshot_action)) {
    case abi::kSnapshotOpen:
      o->kind = instar_guest_SnapshotKind_SNAPSHOT_DONE;
      o->file_length = op.snapshot_file_length;
      return;
    case abi::kSnapshotApply:
      edit = qcow2::apply_snapshot(image, name, arena);
      break;
    case abi::kSnapshotCreate:
      edit =
          qcow2::create_snapshot(image, name, op.snapshot_date_sec, op.snapshot_date_nsec, arena);
      if (edit.status.ok() && edit.error_number != 0) {
        o->kind = instar_guest_SnapshotKind_SNAPSHOT_CREATE_FAILED;
        o->error_number = edit.error_number;
        return;
      }
      break;
    case abi::kSnapshotDelete:
      edit = qcow2::delete_snapshot(image, name, arena);
      if (edit.not_found) {
        o->kind = instar_guest_SnapshotKind_SNAPSHOT_DELETE_NOT_FOUND;
        return;
      }
      break;
  }
  if (!edit.status.ok()) {
    fail(o, edit.status);
    return;
  }
  o->kind = instar_guest_SnapshotKind_SNAPSHOT_DONE;
  o->file_length = edit.file_length;
}

void snapshot(const abi::OpConfig& op, BlockSource& device, BlockSink& sink, Arena& arena,
              Outcome* o) {
  OpenedFile source(device, op.snapshot_file_length);
  const auto requested = static_cast<abi::ImageFormat>(op.input_format[0]);
  instar_guest_RawHead raw_head = instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
  Result<const FormatDriver*> driver = select_in_place_driver(source, requested, arena, &raw_head);
  if (!driver.ok()) {
    o->kind = instar_guest_SnapshotKind_SNAPSHOT_OPEN_FAILED;
    o->error = driver.status();
    return;
  }
  switch (driver.value()->format) {
    case abi::ImageFormat::kQcow2:
      snapshot_qcow2(op, device, source, sink, arena, o);
      return;
    case abi::ImageFormat::kRaw:
      o->format = instar_guest_Format_FORMAT_RAW;
      o->raw_head = raw_head;
      break;
    case abi::ImageFormat::kVmdk:
      o->format = instar_guest_Format_FORMAT_VMDK;
      break;
    default:
      fail(o, Status(instar_guest_ErrorCode_ERROR_SNAPSHOT_UNSUPPORTED, kOtherFormat));
      return;
  }
  // No internal snapshots (bdrv_snapshot_*() fall back to the protocol, which has none); the bare
  // open succeeds.
  o->kind = op.snapshot_action == abi::kSnapshotOpen
                ? instar_guest_SnapshotKind_SNAPSHOT_DONE
                : instar_guest_SnapshotKind_SNAPSHOT_NOT_SUPPORTED;
  o->file_length = op.snapshot_file_length;
}

Status emit_outcome(const Outcome& o, MessageSink& sink, Arena& arena) {
  if (!o.error.ok()) INSTAR_TRY(emit_error(sink, arena, o.error, o.names));
  instar_guest_GuestMessage* message =
      allocate_message(arena, instar_guest_GuestMessage_snapshot_result_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_SnapshotResult& r = message->body.snapshot_result;
  r.kind = o.kind;
  r.format = o.format;
  r.raw_head = o.raw_head;
  r.error_number = o.error_number;
  r.file_length = o.file_length;
  INSTAR_TRY(emit_message(sink, arena, *message));
  return emit_done(sink, arena, o.kind == instar_guest_SnapshotKind_SNAPSHOT_DONE ? 0 : 1);
}

}  // namespace

Status run_snapshot(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                    uint32_t device_count, MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  Outcome o;
  const InPlaceTarget target = in_place_target(op, devices, sinks, device_count, arena);
  if (!target.failure.ok()) {
    fail(&o, target.failure);
  } else if (op.snapshot_action > abi::kSnapshotDelete ||
             op.snapshot_name_length > abi::kSnapshotSelectorMax) {
    fail(&o, Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, op.output_device));
  } else {
    o.names = target.names;
    snapshot(op, *target.device, *target.sink, arena, &o);
  }
  const Status emitted = emit_outcome(o, sink, arena);
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
