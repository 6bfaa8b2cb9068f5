// compare_report.cc: validates the order and contents of compare messages from an untrusted guest.
#include "engine/channel/compare_report.h"

namespace instar::channel {

namespace {

bool is_error_kind(instar::guest::CompareKind kind) {
  return kind == instar::guest::COMPARE_OPEN_FAILED ||
         kind == instar::guest::COMPARE_STATUS_FAILED || kind == instar::guest::COMPARE_READ_FAILED;
}

}  // namespace

std::string CompareSequence::take_result(const instar::guest::CompareResult& r) {
  const instar::guest::CompareKind kind = r.kind();
  if (!instar::guest::CompareKind_IsValid(kind) ||
      kind == instar::guest::COMPARE_KIND_UNSPECIFIED) {
    return "unknown compare result kind";
  }
  if (is_error_kind(kind) != report_.error.has_value()) {
    return "an Error must come with exactly the error kinds of CompareResult";
  }
  if (r.image() > 1 || (!two_images_ && r.image() != 0)) return "bad image index";
  if (!two_images_ && kind != instar::guest::COMPARE_OPEN_FAILED &&
      kind != instar::guest::COMPARE_FIRST_OPENED) {
    return "compare result for an image that was not given";
  }
  if (two_images_ && kind == instar::guest::COMPARE_FIRST_OPENED) {
    return "guest stopped after opening the first image";
  }
  if (r.size_mismatch() && (kind == instar::guest::COMPARE_OPEN_FAILED ||
                            kind == instar::guest::COMPARE_STRICT_SIZE_MISMATCH ||
                            kind == instar::guest::COMPARE_FIRST_OPENED)) {
    return "size mismatch warning where qemu prints none";
  }
  report_.result = r;
  return {};
}

std::string CompareSequence::accept(instar::guest::GuestMessage& m) {
  return tail_.accept(
      m, &report_.error, [&] { return take_result(m.compare_result()); },
      [&] { return is_error_kind(report_.result.kind()); });
}

std::string CompareSequence::finish() const {
  return tail_.finish();
}

CompareReportResult assemble_compare_report(std::vector<instar::guest::GuestMessage> messages,
                                            bool two_images) {
  CompareSequence sequence(two_images);
  CompareReportResult result;
  result.protocol_error = feed_all(sequence, messages);
  result.ok = result.protocol_error.empty();
  if (result.ok) result.report = sequence.report();
  return result;
}

}  // namespace instar::channel
