// convert.cc: img_convert's guest half: open every input with its chain, build the target's
// writer, run the copy, report progress and the outcome as messages.
#include "guest/ops/convert.h"

#include <new>

#include "guest/formats/probe.h"
#include "guest/formats/qcow2/writer.h"
#include "guest/lib/mem.h"
#include "guest/ops/chain_backing.h"
#include "guest/ops/convert_copy.h"
#include "guest/ops/dd_copy.h"
#include "guest/ops/existing_qcow2_target.h"
#include "guest/ops/info.h"
#include "guest/ops/input_chain.h"
#include "guest/ops/snapshot_load.h"
#include "guest/ops/sparse_scan.h"

namespace instar {

namespace {

// GuestMessages are KiBs large: they live in the arena, not on the guest's small stack.
Status emit_body(MessageSink& sink, Arena& arena,
                 void (*fill)(instar_guest_GuestMessage*, const void*), const void* context) {
  const uint64_t mark = arena.mark();
  auto* message = static_cast<instar_guest_GuestMessage*>(
      arena.allocate(sizeof(instar_guest_GuestMessage), alignof(instar_guest_GuestMessage)));
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  *message = instar_guest_GuestMessage_init_zero;
  fill(message, context);
  const Status emitted = emit_message(sink, arena, *message);
  arena.release_to(mark);
  return emitted;
}

// The copy's events as guest messages: ConvertProgress and ConvertSalvaged.
class EventMessages final : public ConvertEventSink {
 public:
  EventMessages(MessageSink& sink, Arena& arena) : sink_(sink), arena_(arena) {}
  Status progress(uint64_t done, uint64_t total) override {
    const uint64_t values[2] = {done, total};
    return emit_body(
        sink_, arena_,
        [](instar_guest_GuestMessage* m, const void* c) {
          const auto* v = static_cast<const uint64_t*>(c);
          m->which_body = instar_guest_GuestMessage_convert_progress_tag;
          m->body.convert_progress.done_sectors = v[0];
          m->body.convert_progress.total_sectors = v[1];
        },
        values);
  }
  Status salvaged(SalvageKind kind, uint32_t input, uint64_t offset, const Status& error,
                  bool corruption_event) override {
    const Salvaged s{kind, input, offset, &error, corruption_event};
    return emit_body(
        sink_, arena_,
        [](instar_guest_GuestMessage* m, const void* c) {
          const auto* v = static_cast<const Salvaged*>(c);
          m->which_body = instar_guest_GuestMessage_convert_salvaged_tag;
          instar_guest_ConvertSalvaged& out = m->body.convert_salvaged;
          out.kind = v->kind == SalvageKind::kRead ? instar_guest_SalvageKind_SALVAGE_READ
                                                   : instar_guest_SalvageKind_SALVAGE_BLOCK_STATUS;
          out.input = v->input;
          out.offset = v->offset;
          out.code = v->error->code();
          static_assert(sizeof(out.args) / sizeof(out.args[0]) >= Status::kMaxArgs);
          out.args_count = static_cast<pb_size_t>(v->error->nargs());
          for (int i = 0; i < v->error->nargs(); ++i) out.args[i] = v->error->arg(i);
          out.corruption_event = v->corruption_event;
        },
        &s);
  }

 private:
  struct Salvaged {
    SalvageKind kind;
    uint32_t input;
    uint64_t offset;
    const Status* error;
    bool corruption_event;
  };
  MessageSink& sink_;
  Arena& arena_;
};

struct Reported {
  ConvertOutcome outcome;
  uint32_t input = 0;
  const ErrorNames* names = nullptr;
};

Status emit_outcome(const Reported& r, MessageSink& sink, Arena& arena) {
  const bool is_error = r.outcome.kind != instar_guest_ConvertKind_CONVERT_DONE;
  if (is_error) INSTAR_TRY(emit_error(sink, arena, r.outcome.error, r.names));
  INSTAR_TRY(emit_body(
      sink, arena,
      [](instar_guest_GuestMessage* m, const void* c) {
        const auto* rep = static_cast<const Reported*>(c);
        m->which_body = instar_guest_GuestMessage_convert_result_tag;
        m->body.convert_result.kind = rep->outcome.kind;
        m->body.convert_result.input = rep->input;
        m->body.convert_result.offset = rep->outcome.offset;
        m->body.convert_result.prealloc_start = rep->outcome.preallocate.start;
        m->body.convert_result.prealloc_end = rep->outcome.preallocate.end;
        m->body.convert_result.data_file_zero_start = rep->outcome.data_file_zeros.start;
        m->body.convert_result.data_file_zero_end = rep->outcome.data_file_zeros.end;
        m->body.convert_result.data_file_end = rep->outcome.data_file_end;
      },
      &r));
  return emit_done(sink, arena, is_error ? 1 : 0);
}

Reported fail(instar_guest_ConvertKind kind, const Status& error) {
  Reported r;
  r.outcome.kind = kind;
  r.outcome.error = error;
  return r;
}

// The target's ImageWriter for op.output_format from its format driver, in the arena, created
// (qcow2: its header and tables written) unless -n. `readback` reads the output back (evicted
// qcow2 tables).
ImageWriter* make_writer(const abi::OpConfig& op, BlockSink& sink, BlockSource* readback,
                         TargetBacking* backing, uint64_t total, bool fresh, Arena& arena,
                         Status* why) {
  const FormatDriver* driver = find_driver(static_cast<abi::ImageFormat>(op.output_format));
  if (driver == nullptr || driver->new_writer == nullptr) {
    *why = Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP, op.output_format);
    return nullptr;
  }
  return driver->new_writer(WriterRequest{&op, &sink, readback, total, fresh, backing}, arena, why);
}

Reported convert(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                 uint32_t device_count, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  const uint32_t count = op.convert_input_count;
  if (count == 0 || count > abi::kMaxConvertInputs) {
    return fail(instar_guest_ConvertKind_CONVERT_OPEN_FAILED,
                Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, count));
  }
  // qemu opens every input before it looks at the target.
  ConvertInput inputs[abi::kMaxConvertInputs];
  uint64_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t length = op.convert_chain_length[i];
    InputChain chain;
    const uint32_t top = length == 0 ? abi::kNoDevice : op.convert_chain[i][0].device;
    const Status opened =
        length == 0 ? Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, i)
                    : open_input_chain(top, op.convert_chain[i][0].format, op.convert_chain[i],
                                       length, devices, device_count, arena, detail, &chain);
    if (!opened.ok()) {
      Reported r = fail(instar_guest_ConvertKind_CONVERT_OPEN_FAILED, opened);
      r.input = i;
      r.names = detail;
      return r;
    }
    inputs[i].image = chain.images[0];
    total += chain.images[0]->length();
  }
  // -l: after every input opened, as img_convert loads it; the length stays the image's.
  const Status snapshot =
      load_selected_snapshot(op, inputs[0].image->driver(), inputs[0].image->format(), arena);
  if (!snapshot.ok()) return fail(instar_guest_ConvertKind_CONVERT_SNAPSHOT_FAILED, snapshot);
  if ((op.convert_flags & abi::kConvertOpenOnly) != 0) {
    Reported opened;
    opened.outcome.kind = instar_guest_ConvertKind_CONVERT_DONE;
    return opened;
  }
  // dd: one input, a new target without a backing file, sized for the range it receives.
  const bool dd = (op.convert_flags & abi::kConvertDd) != 0;
  const uint32_t dd_refused = abi::kConvertSkipCreate | abi::kConvertCompress |
                              abi::kConvertProgress | abi::kConvertCopyRange | abi::kConvertSalvage;
  if (dd && (count != 1 || (op.convert_flags & dd_refused) != 0 || op.convert_backing_flags != 0 ||
             op.dd_input_offset > total || op.dd_length > total - op.dd_input_offset)) {
    return fail(instar_guest_ConvertKind_CONVERT_WRITE_FAILED,
                Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, op.output_device));
  }
  if (dd) total = (op.dd_length + kSectorSize - 1) / kSectorSize * kSectorSize;
  const uint32_t out = op.output_device;
  if (!valid_device(out, devices, device_count) || sinks == nullptr || sinks[out] == nullptr ||
      op.output_size != total || sinks[out]->size() < total) {
    return fail(instar_guest_ConvertKind_CONVERT_WRITE_FAILED,
                Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, out));
  }
  const bool fresh = (op.convert_flags & abi::kConvertSkipCreate) == 0;
  const bool wants_backing = fresh && (op.convert_backing_flags & abi::kConvertBackingName) != 0;
  if (op.convert_backing_chain_length > abi::kMaxChainImages ||
      (op.convert_backing_chain_length != 0 && !wants_backing)) {
    return fail(instar_guest_ConvertKind_CONVERT_WRITE_FAILED,
                Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, out));
  }
  // The backing chain is attached once the target is created, as img_open_file() opens it.
  ChainBacking* backing = nullptr;
  if (op.convert_backing_chain_length != 0) {
    void* memory = arena.allocate(sizeof(ChainBacking), alignof(ChainBacking));
    if (memory == nullptr) {
      return fail(instar_guest_ConvertKind_CONVERT_WRITE_FAILED,
                  Status(instar_guest_ErrorCode_ERROR_INTERNAL));
    }
    backing = new (memory) ChainBacking();
  }
  Status made;
  ImageWriter* target = nullptr;
  if (!fresh && op.output_format == static_cast<uint32_t>(abi::ImageFormat::kQcow2)) {
    // -n -O qcow2: img_open() of the existing target, then its length against the inputs'.
    Result<qcow2::Qcow2Writer*> existing =
        open_existing_qcow2_target(*devices[out], *sinks[out], op.convert_target_file_length, total,
                                   op.min_sparse_sectors != 0, arena, detail);
    if (!existing.ok()) {
      Reported r = fail(instar_guest_ConvertKind_CONVERT_TARGET_OPEN_FAILED, existing.status());
      r.names = detail;
      return r;
    }
    target = existing.value();
  } else {
    target = make_writer(op, *sinks[out], devices[out], backing, total, fresh, arena, &made);
  }
  uint64_t backing_length = 0;
  if (target != nullptr && wants_backing) {
    // Either the host found no backing file (it reports why) or the guest cannot open it: qemu
    // created the image and then failed to open it, so the image is completed.
    InputChain chain;
    Status opened = Status(instar_guest_ErrorCode_ERROR_BACKING_FILE_NOT_SUPPORTED);
    if (backing != nullptr) {
      opened =
          open_input_chain(op.convert_backing_chain[0].device, op.convert_backing_chain[0].format,
                           op.convert_backing_chain, op.convert_backing_chain_length, devices,
                           device_count, arena, detail, &chain);
    }
    if (!opened.ok()) {
      const Status finished = target->finish();
      Reported r = fail(instar_guest_ConvertKind_CONVERT_BACKING_OPEN_FAILED,
                        finished.ok() ? opened : finished);
      r.names = detail;
      r.outcome.preallocate = target->preallocated_area();
      return r;
    }
    backing->attach(*chain.images[0]);
    backing_length = chain.images[0]->length();
  }
  auto* buf = arena.allocate_array<uint8_t>(kConvertBufSectors * kSectorSize);
  if (target == nullptr || buf == nullptr) {
    return fail(instar_guest_ConvertKind_CONVERT_WRITE_FAILED,
                made.ok() ? Status(instar_guest_ErrorCode_ERROR_INTERNAL) : made);
  }
  ImageWriter& writer = *target;
  if (dd) {
    Reported r;
    r.outcome = dd_copy(*inputs[0].image, op.dd_input_offset, op.dd_length, writer, buf,
                        kConvertBufSectors * kSectorSize);
    return r;
  }

  ConvertSettings settings;
  settings.min_sparse = op.min_sparse_sectors;
  settings.compressed = (op.convert_flags & abi::kConvertCompress) != 0;
  // img_convert(): with -c the buffer holds one target cluster.
  if (settings.compressed) settings.buf_sectors = writer.cluster_size() / kSectorSize;
  // convert_do_copy(): a new target without a backing file reads as zeros when its driver says
  // so; --target-is-zero says it for an existing one.
  settings.target_has_backing = (op.convert_backing_flags & abi::kConvertTargetHasBacking) != 0;
  settings.copy_range = (op.convert_flags & abi::kConvertCopyRange) != 0;
  settings.has_zero_init =
      (op.convert_flags & abi::kConvertTargetIsZero) != 0 ||
      (fresh && settings.min_sparse != 0 && !settings.target_has_backing && writer.has_zero_init());
  // s.target_backing_sectors: known for a new target only.
  settings.target_backing_sectors =
      backing != nullptr ? static_cast<int64_t>(backing_length / kSectorSize) : -1;
  // s.alignment = MAX(pow2floor(min_sparse), the target's request alignment in sectors (1)).
  uint64_t alignment = 1;
  while (alignment * 2 <= settings.min_sparse) alignment *= 2;
  settings.alignment = alignment;
  settings.progress = (op.convert_flags & abi::kConvertProgress) != 0;
  settings.salvage = (op.convert_flags & abi::kConvertSalvage) != 0;
  EventMessages events(sink, arena);
  Reported r;
  r.outcome = convert_copy(inputs, count, writer, settings, buf, &events);
  // qemu preallocated while it created the target, before the copy: whatever the copy's outcome.
  r.outcome.preallocate = writer.preallocated_area();
  return r;
}

}  // namespace

Status emit_convert_outcome(const ConvertOutcome& outcome, MessageSink& sink, Arena& arena) {
  Reported r;
  r.outcome = outcome;
  return emit_outcome(r, sink, arena);
}

Status run_convert(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                   uint32_t device_count, MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  auto* detail = static_cast<ErrorNames*>(arena.allocate(sizeof(ErrorNames), alignof(ErrorNames)));
  Reported r;
  if (detail == nullptr) {
    r = fail(instar_guest_ConvertKind_CONVERT_OPEN_FAILED,
             Status(instar_guest_ErrorCode_ERROR_INTERNAL));
  } else {
    detail = new (detail) ErrorNames();
    r = convert(op, devices, sinks, device_count, sink, arena, detail);
  }
  const Status emitted = emit_outcome(r, sink, arena);
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
