// check.cc: selects the image's format driver and runs its check, or says it has none.
#include "guest/ops/check.h"

#include "guest/formats/probe.h"
#include "guest/formats/qcow2/check.h"
#include "guest/formats/windowed_reader.h"
#include "guest/ops/in_place_image.h"

namespace instar {

namespace {

Status report_failure(MessageSink& sink, Arena& arena, const Status& failure) {
  INSTAR_TRY(emit_error(sink, arena, failure, nullptr));
  return emit_done(sink, arena, 1);
}

Status check(BlockSource& source, abi::ImageFormat format, MessageSink& sink, Arena& arena) {
  uint8_t* head = arena.allocate_array<uint8_t>(kProbeSize);
  if (head == nullptr)
    return report_failure(sink, arena, Status(instar_guest_ErrorCode_ERROR_INTERNAL));
  const Status read = read_zero_filled(source, 0, MutableBytes(head, kProbeSize));
  if (!read.ok()) return report_failure(sink, arena, read);
  const Result<const FormatDriver*> driver = select_driver(format, Bytes(head, kProbeSize));
  if (!driver.ok()) return report_failure(sink, arena, driver.status());
  if (driver.value()->check != nullptr) return driver.value()->check(source, sink, arena);
  // qemu-img check opens the image before it asks for a check, so an open error comes first (a
  // raw LUKS image opened without its key).
  ImageDriver* image = driver.value()->new_image(arena);
  if (image == nullptr) {
    return report_failure(sink, arena, Status(instar_guest_ErrorCode_ERROR_INTERNAL));
  }
  // The host opens the backing chain after this answer (qcow v1), as qemu-img check does.
  OpenContext context;
  context.chained = true;
  const Status opened = image->open(source, context, arena);
  if (!opened.ok()) return report_failure(sink, arena, opened);
  // qemu-img check: "This image format does not support checks"; the host words it.
  instar_guest_GuestMessage* message =
      allocate_message(arena, instar_guest_GuestMessage_check_result_tag);
  if (message == nullptr)
    return report_failure(sink, arena, Status(instar_guest_ErrorCode_ERROR_INTERNAL));
  message->body.check_result.format = driver.value()->info_format;
  INSTAR_TRY(emit_message(sink, arena, *message));
  return emit_done(sink, arena, 0);
}

}  // namespace

Status run_check(BlockSource& source, abi::ImageFormat format, MessageSink& sink, Arena& arena) {
  const uint64_t mark = arena.mark();
  const Status outcome = check(source, format, sink, arena);
  arena.release_to(mark);
  return outcome;
}

Status run_check_repair(const abi::OpConfig& op, BlockSource* const* devices,
                        BlockSink* const* sinks, uint32_t device_count, MessageSink& sink,
                        Arena& arena) {
  const uint64_t mark = arena.mark();
  Status outcome;
  const InPlaceTarget target = in_place_target(op, devices, sinks, device_count, arena);
  if (!target.failure.ok()) {
    outcome = report_failure(sink, arena, target.failure);
  } else {
    instar_guest_RawHead raw_head = instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
    const Result<const FormatDriver*> driver = select_in_place_driver(
        *target.device, static_cast<abi::ImageFormat>(op.input_format[0]), arena, &raw_head);
    if (!driver.ok()) {
      outcome = report_failure(sink, arena, driver.status());
    } else if (driver.value()->format == abi::ImageFormat::kRaw) {
      // No check (the host prints "does not support checks"); its head for the host's warning.
      instar_guest_GuestMessage* message =
          allocate_message(arena, instar_guest_GuestMessage_check_result_tag);
      if (message == nullptr) {
        outcome = report_failure(sink, arena, Status(instar_guest_ErrorCode_ERROR_INTERNAL));
      } else {
        message->body.check_result.format = instar_guest_Format_FORMAT_RAW;
        message->body.check_result.raw_head = raw_head;
        outcome = emit_message(sink, arena, *message);
        if (outcome.ok()) outcome = emit_done(sink, arena, 0);
      }
    } else if (driver.value()->format != abi::ImageFormat::kQcow2) {
      outcome = report_failure(sink, arena,
                               Status(instar_guest_ErrorCode_ERROR_CHECK_REPAIR_UNSUPPORTED, 1));
    } else {
      outcome = qcow2::check(*target.device, sink, arena, op.check_repair, target.sink);
    }
  }
  arena.release_to(mark);
  return outcome;
}

}  // namespace instar
