// check.cc: selects the image's format driver and runs its check, or says it has none.
#include "guest/ops/check.h"

#include "guest/formats/probe.h"
#include "guest/formats/windowed_reader.h"

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

}  // namespace instar
