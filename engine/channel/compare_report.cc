// compare_report.cc: validates the order and contents of compare messages from an untrusted guest.
#include "engine/channel/compare_report.h"

namespace instar::channel {

namespace {

CompareReportResult fail(std::string why) {
  CompareReportResult r;
  r.protocol_error = std::move(why);
  return r;
}

bool is_error_kind(instar::guest::CompareKind kind) {
  return kind == instar::guest::COMPARE_OPEN_FAILED ||
         kind == instar::guest::COMPARE_STATUS_FAILED || kind == instar::guest::COMPARE_READ_FAILED;
}

}  // namespace

CompareReportResult assemble_compare_report(
    const std::vector<instar::guest::GuestMessage>& messages, bool two_images) {
  using M = instar::guest::GuestMessage;
  CompareReportResult result;
  size_t i = 0;
  if (i < messages.size() && messages[i].body_case() == M::kError) {
    result.report.error = messages[i++].error();
  }
  if (i >= messages.size() || messages[i].body_case() != M::kCompareResult) {
    return fail("expected a CompareResult message");
  }
  const instar::guest::CompareResult& r = messages[i++].compare_result();
  const instar::guest::CompareKind kind = r.kind();
  if (!instar::guest::CompareKind_IsValid(kind) ||
      kind == instar::guest::COMPARE_KIND_UNSPECIFIED) {
    return fail("unknown compare result kind");
  }
  if (is_error_kind(kind) != result.report.error.has_value()) {
    return fail("an Error must come with exactly the error kinds of CompareResult");
  }
  if (r.image() > 1 || (!two_images && r.image() != 0)) return fail("bad image index");
  if (!two_images && kind != instar::guest::COMPARE_OPEN_FAILED &&
      kind != instar::guest::COMPARE_FIRST_OPENED) {
    return fail("compare result for an image that was not given");
  }
  if (two_images && kind == instar::guest::COMPARE_FIRST_OPENED) {
    return fail("guest stopped after opening the first image");
  }
  if (r.size_mismatch() && (kind == instar::guest::COMPARE_OPEN_FAILED ||
                            kind == instar::guest::COMPARE_STRICT_SIZE_MISMATCH ||
                            kind == instar::guest::COMPARE_FIRST_OPENED)) {
    return fail("size mismatch warning where qemu prints none");
  }
  if (i >= messages.size() || messages[i].body_case() != M::kDone) {
    return fail("guest did not end with Done");
  }
  if (messages[i].done().status() != (is_error_kind(kind) ? 1 : 0)) {
    return fail("Done status does not match the compare result");
  }
  if (i + 1 != messages.size()) return fail("guest sent messages after Done");
  result.report.result = r;
  result.ok = true;
  return result;
}

}  // namespace instar::channel
