// resize_report.cc: validates the resize messages of an untrusted guest.
#include "engine/channel/resize_report.h"

namespace instar::channel {

namespace {

bool carries_error(instar::guest::ResizeKind kind) {
  return kind == instar::guest::RESIZE_OPEN_FAILED || kind == instar::guest::RESIZE_FAILED;
}

bool resized(instar::guest::ResizeKind kind) {
  return kind == instar::guest::RESIZE_DONE || kind == instar::guest::RESIZE_RAW;
}

}  // namespace

std::string ResizeSequence::take_result(const instar::guest::ResizeResult& r) {
  const instar::guest::ResizeKind kind = r.kind();
  if (!instar::guest::ResizeKind_IsValid(kind) || kind == instar::guest::RESIZE_KIND_UNSPECIFIED) {
    return "unknown resize result kind";
  }
  if (carries_error(kind) != report_.error.has_value()) {
    return "an Error must come with exactly the failure kinds of ResizeResult";
  }
  if (!instar::guest::RawHead_IsValid(r.raw_head())) return "unknown raw head";
  if (kind == instar::guest::RESIZE_RAW && r.format() != instar::guest::FORMAT_RAW) {
    return "a raw resize of an image that is not raw";
  }
  if (kind == instar::guest::RESIZE_DONE &&
      (r.format() != instar::guest::FORMAT_QCOW2 || r.file_length() > capacity_)) {
    return "a qcow2 resize result beyond the device";
  }
  report_.result = r;
  return {};
}

std::string ResizeSequence::accept(instar::guest::GuestMessage& m) {
  return tail_.accept(
      m, &report_.error, [&] { return take_result(m.resize_result()); },
      [&] { return !resized(report_.result.kind()); });
}

std::string ResizeSequence::finish() const {
  return tail_.finish();
}

ResizeReportResult assemble_resize_report(std::vector<instar::guest::GuestMessage> messages,
                                          uint64_t capacity) {
  ResizeSequence sequence(capacity);
  ResizeReportResult result;
  result.protocol_error = feed_all(sequence, messages);
  result.ok = result.protocol_error.empty();
  if (result.ok) result.report = sequence.report();
  return result;
}

}  // namespace instar::channel
