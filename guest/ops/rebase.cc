// rebase.cc: img_rebase's guest half: the image opened as qemu opens it read-write, then
// bdrv_change_backing_file() with qcow2_change_backing_file()'s header rewrite.
#include "guest/ops/rebase.h"

#include "guest/formats/qcow2/header_rewrite.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/error_names.h"
#include "guest/lib/mem.h"
#include "guest/ops/compare_image.h"
#include "guest/ops/in_place_image.h"
#include "guest/ops/input_chain.h"

namespace instar {

namespace {

// Linux errno values of the failures bdrv_change_backing_file() reports (the host prints their
// strerror()).
constexpr uint32_t kEio = 5;
constexpr uint32_t kEinval = 22;
constexpr uint32_t kEnospc = 28;
constexpr uint32_t kEnotsup = 95;
// qemu-img.c's IO_BUF_SIZE: the chunk img_rebase's safe mode compares at a time.
constexpr uint64_t kIoBufSize = 2u << 20;
// The rebase-only reason guest.proto lists for ERROR_REBASE_UNSUPPORTED: a safe rebase that
// would copy data (the others are InPlaceRefusal's).
constexpr uint64_t kSafeCopy = 10;
// qcow2_change_backing_file(): a longer name is -EINVAL (the name must fit bs->backing_file).
constexpr uint32_t kMaxBackingName = 1023;

struct Outcome {
  instar_guest_RebaseKind kind = instar_guest_RebaseKind_REBASE_KIND_UNSPECIFIED;
  instar_guest_Format format = instar_guest_Format_FORMAT_UNKNOWN;
  instar_guest_RawHead raw_head = instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
  uint32_t change_errno = 0;
  uint64_t virtual_size = 0;
  uint64_t progress_steps = 0;
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
void change_qcow2(const abi::OpConfig& op, const qcow2::Metadata& m, BlockSource& source,
                  BlockSink& sink, Arena& arena, Outcome* o) {
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

// img_rebase's safe mode up to its writes: for every chunk unallocated in the image
// (bdrv_is_allocated), the old backing file's bytes against the new one's. instar goes on only
// when they are the same everywhere, so qemu would write nothing before the header change;
// otherwise ERROR_REBASE_UNSUPPORTED (kSafeCopy) before anything is written.
Status compare_backing_chains(const abi::OpConfig& op, BlockSource* const* devices,
                              uint32_t device_count, Arena& arena, Outcome* o) {
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
    BlockStatus status;
    INSTAR_TRY(image.layer_status(offset, n, &status));
    n = status.bytes < n ? status.bytes : n;
    if ((status.flags & kBlockAllocated) != 0) continue;  // bdrv_is_allocated()
    INSTAR_TRY(read_backing_chunk(image.backing(), offset, &n, old_buffer));
    INSTAR_TRY(read_backing_chunk(fresh, offset, &n, new_buffer));
    for (uint64_t i = 0; i < n; ++i) {
      if (old_buffer[i] != new_buffer[i]) {
        return Status(instar_guest_ErrorCode_ERROR_REBASE_UNSUPPORTED, kSafeCopy);
      }
    }
    ++o->progress_steps;
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
  if ((op.rebase_flags & abi::kRebaseUnsafe) == 0 && qcow2) {
    o->error = compare_backing_chains(op, devices, device_count, arena, o);
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
  change_qcow2(op, *scratch.metadata, source, sink, arena, o);
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
