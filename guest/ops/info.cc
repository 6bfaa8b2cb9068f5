// info.cc: selects the image's format driver, then streams what the driver describes.
#include "guest/ops/info.h"

#include "guest/formats/probe.h"
#include "guest/formats/windowed_reader.h"

namespace instar {

namespace {

Status report_failure(MessageSink& sink, Arena& arena, const Status& failure,
                      const ErrorNames* names) {
  INSTAR_TRY(emit_error(sink, arena, failure, names));
  return emit_done(sink, arena, 1);
}

Status describe(BlockSource& source, abi::ImageFormat format, bool no_io, MessageSink& sink,
                Arena& arena) {
  uint8_t* head = arena.allocate_array<uint8_t>(kProbeSize);
  auto* detail = static_cast<ErrorNames*>(arena.allocate(sizeof(ErrorNames), alignof(ErrorNames)));
  if (head == nullptr || detail == nullptr) {
    return report_failure(sink, arena, Status(instar_guest_ErrorCode_ERROR_INTERNAL), nullptr);
  }
  const Status read = read_zero_filled(source, 0, MutableBytes(head, kProbeSize));
  if (!read.ok()) return report_failure(sink, arena, read, nullptr);
  const Result<const FormatDriver*> driver = select_driver(format, Bytes(head, kProbeSize));
  if (!driver.ok()) return report_failure(sink, arena, driver.status(), nullptr);
  const InfoRequest request{&source, Bytes(head, kProbeSize), format == abi::ImageFormat::kProbe,
                            no_io};
  detail->clear();
  const Status described = driver.value()->describe(request, sink, arena, detail);
  if (!described.ok()) return report_failure(sink, arena, described, detail);
  return emit_done(sink, arena, 0);
}

}  // namespace

Status run_info(BlockSource& source, abi::ImageFormat format, bool no_io, MessageSink& sink,
                Arena& arena) {
  const uint64_t mark = arena.mark();
  const Status result = describe(source, format, no_io, sink, arena);
  arena.release_to(mark);
  return result;
}

}  // namespace instar
