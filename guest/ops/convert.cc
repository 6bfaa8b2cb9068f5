// convert.cc: img_convert's guest half: open every input with its chain, build the target's
// writer, run the copy, report progress and the outcome as messages.
#include "guest/ops/convert.h"

#include <new>

#include "guest/formats/qcow2/writer.h"
#include "guest/formats/raw/raw_writer.h"
#include "guest/ops/convert_copy.h"
#include "guest/ops/info.h"
#include "guest/ops/input_chain.h"
#include "guest/ops/sparse_scan.h"

namespace instar {

namespace {

// Zeros written per call by write_zeroes (-n onto an existing target).
constexpr uint64_t kZeroChunk = 64 * 1024;

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

class ProgressMessages final : public ConvertProgressSink {
 public:
  ProgressMessages(MessageSink& sink, Arena& arena) : sink_(sink), arena_(arena) {}
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

 private:
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

// The target's ImageWriter for op.output_format, in the arena, created (qcow2: its header and
// tables written) unless -n. `readback` reads the output back (evicted qcow2 tables).
ImageWriter* make_writer(const abi::OpConfig& op, BlockSink& sink, BlockSource* readback,
                         uint64_t total, bool fresh, Arena& arena, Status* why) {
  switch (static_cast<abi::ImageFormat>(op.output_format)) {
    case abi::ImageFormat::kRaw: {
      auto* zeros = arena.allocate_array<uint8_t>(kZeroChunk);
      void* memory = arena.allocate(sizeof(raw::RawWriter), alignof(raw::RawWriter));
      if (zeros == nullptr || memory == nullptr) return nullptr;
      for (uint64_t i = 0; i < kZeroChunk; ++i) zeros[i] = 0;
      return new (memory)
          raw::RawWriter(sink, total, fresh, (op.convert_flags & abi::kConvertFlush) != 0,
                         Bytes(zeros, kZeroChunk));
    }
    case abi::ImageFormat::kQcow2: {
      // Only a fresh target: the host refuses -n -O qcow2.
      if (!fresh || op.qcow2_compression_type > 1) {
        *why = Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, op.output_format);
        return nullptr;
      }
      void* memory = arena.allocate(sizeof(qcow2::Qcow2Writer), alignof(qcow2::Qcow2Writer));
      if (memory == nullptr) return nullptr;
      auto* writer = new (memory) qcow2::Qcow2Writer(sink, readback, arena);
      // qemu-img convert opens its target with BDRV_O_UNMAP unless -S 0.
      writer->set_discard_requests(op.min_sparse_sectors != 0);
      const Status created = writer->create(qcow2_create_options(op, total));
      if (!created.ok()) {
        *why = created;
        return nullptr;
      }
      return writer;
    }
    default:
      *why = Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP, op.output_format);
      return nullptr;
  }
}

Reported convert(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                 uint32_t device_count, MessageSink& sink, Arena& arena,
                 qcow2::OpenErrorDetail* detail) {
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
  const uint32_t out = op.output_device;
  if (!valid_device(out, devices, device_count) || sinks == nullptr || sinks[out] == nullptr ||
      op.output_size != total || sinks[out]->size() < total) {
    return fail(instar_guest_ConvertKind_CONVERT_WRITE_FAILED,
                Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, out));
  }
  const bool fresh = (op.convert_flags & abi::kConvertSkipCreate) == 0;
  Status made;
  ImageWriter* target = make_writer(op, *sinks[out], devices[out], total, fresh, arena, &made);
  auto* buf = arena.allocate_array<uint8_t>(kConvertBufSectors * kSectorSize);
  if (target == nullptr || buf == nullptr) {
    return fail(instar_guest_ConvertKind_CONVERT_WRITE_FAILED,
                made.ok() ? Status(instar_guest_ErrorCode_ERROR_INTERNAL) : made);
  }
  ImageWriter& writer = *target;

  ConvertSettings settings;
  settings.min_sparse = op.min_sparse_sectors;
  settings.compressed = (op.convert_flags & abi::kConvertCompress) != 0;
  // img_convert(): with -c the buffer holds one target cluster.
  if (settings.compressed) settings.buf_sectors = writer.cluster_size() / kSectorSize;
  // convert_do_copy(): a new target without a backing file reads as zeros when its driver says
  // so; --target-is-zero says it for an existing one.
  settings.has_zero_init = (op.convert_flags & abi::kConvertTargetIsZero) != 0 ||
                           (fresh && settings.min_sparse != 0 && writer.has_zero_init());
  // s.alignment = MAX(pow2floor(min_sparse), the target's request alignment in sectors (1)).
  uint64_t alignment = 1;
  while (alignment * 2 <= settings.min_sparse) alignment *= 2;
  settings.alignment = alignment;
  ProgressMessages progress(sink, arena);
  Reported r;
  r.outcome = convert_copy(inputs, count, writer, settings, buf,
                           (op.convert_flags & abi::kConvertProgress) != 0 ? &progress : nullptr);
  return r;
}

}  // namespace

// The creation options of a -O qcow2 target, as the host passed them in OpConfig.
qcow2::Qcow2CreateOptions qcow2_create_options(const abi::OpConfig& op, uint64_t size) {
  qcow2::Qcow2CreateOptions o;
  o.size = size;
  o.cluster_size = op.qcow2_cluster_size;
  o.refcount_bits = op.qcow2_refcount_bits;
  o.compat_v3 = (op.qcow2_create_flags & abi::kQcow2CompatV2) == 0;
  o.lazy_refcounts = (op.qcow2_create_flags & abi::kQcow2LazyRefcounts) != 0;
  o.extended_l2 = (op.qcow2_create_flags & abi::kQcow2ExtendedL2) != 0;
  o.compression_type = static_cast<uint8_t>(op.qcow2_compression_type);
  return o;
}

Status emit_convert_outcome(const ConvertOutcome& outcome, MessageSink& sink, Arena& arena) {
  Reported r;
  r.outcome = outcome;
  return emit_outcome(r, sink, arena);
}

Status run_convert(const abi::OpConfig& op, BlockSource* const* devices, BlockSink* const* sinks,
                   uint32_t device_count, MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  auto* detail = static_cast<qcow2::OpenErrorDetail*>(
      arena.allocate(sizeof(qcow2::OpenErrorDetail), alignof(qcow2::OpenErrorDetail)));
  Reported r;
  if (detail == nullptr) {
    r = fail(instar_guest_ConvertKind_CONVERT_OPEN_FAILED,
             Status(instar_guest_ErrorCode_ERROR_INTERNAL));
  } else {
    detail = new (detail) qcow2::OpenErrorDetail();
    r = convert(op, devices, sinks, device_count, sink, arena, detail);
  }
  const Status emitted = emit_outcome(r, sink, arena);
  arena.release_to(mark);
  return emitted;
}

}  // namespace instar
