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
  state_ = State::kExpectDone;
  return {};
}

std::string CompareSequence::accept(instar::guest::GuestMessage& m) {
  using M = instar::guest::GuestMessage;
  switch (state_) {
    case State::kFirst:
      if (m.body_case() == M::kError) {
        report_.error = std::move(*m.mutable_error());
        state_ = State::kExpectResult;
        return {};
      }
      [[fallthrough]];
    case State::kExpectResult:
      if (m.body_case() != M::kCompareResult) return "expected a CompareResult message";
      return take_result(m.compare_result());
    case State::kExpectDone:
      if (m.body_case() != M::kDone) return "guest did not end with Done";
      if (m.done().status() != (is_error_kind(report_.result.kind()) ? 1 : 0)) {
        return "Done status does not match the compare result";
      }
      state_ = State::kFinished;
      return {};
    case State::kFinished:
      break;
  }
  return "guest sent messages after Done";
}

std::string CompareSequence::finish() const {
  switch (state_) {
    case State::kFinished:
      return {};
    case State::kExpectDone:
      return "guest did not end with Done";
    default:
      return "expected a CompareResult message";
  }
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
