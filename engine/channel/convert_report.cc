// convert_report.cc: validates the order and contents of convert messages from an untrusted guest.
#include "engine/channel/convert_report.h"

namespace instar::channel {

namespace {

bool is_error_kind(instar::guest::ConvertKind kind) {
  return kind != instar::guest::CONVERT_DONE;
}

}  // namespace

std::string ConvertSequence::take_progress(const instar::guest::ConvertProgress& p) {
  if (!progress_) return "progress the host did not ask for";
  if (p.total_sectors() == 0 || p.done_sectors() == 0 || p.done_sectors() > p.total_sectors()) {
    return "progress outside its total";
  }
  if (total_ != 0 && p.total_sectors() != total_) return "progress total changed";
  if (p.done_sectors() <= last_done_) return "progress went backwards";
  total_ = p.total_sectors();
  last_done_ = p.done_sectors();
  if (on_progress_) on_progress_(last_done_, total_);
  return {};
}

std::string ConvertSequence::take_result(const instar::guest::ConvertResult& r) {
  const instar::guest::ConvertKind kind = r.kind();
  if (!instar::guest::ConvertKind_IsValid(kind) ||
      kind == instar::guest::CONVERT_KIND_UNSPECIFIED) {
    return "unknown convert result kind";
  }
  if (is_error_kind(kind) != report_.error.has_value()) {
    return "an Error must come with exactly the error kinds of ConvertResult";
  }
  if (r.input() >= inputs_) return "bad input index";
  if (kind == instar::guest::CONVERT_DONE && total_ != 0 && last_done_ != total_) {
    return "conversion done before its progress was";
  }
  report_.result = r;
  state_ = State::kExpectDone;
  return {};
}

std::string ConvertSequence::accept(instar::guest::GuestMessage& m) {
  using M = instar::guest::GuestMessage;
  switch (state_) {
    case State::kFirst:
      if (m.body_case() == M::kConvertProgress) return take_progress(m.convert_progress());
      if (m.body_case() == M::kError) {
        report_.error = std::move(*m.mutable_error());
        state_ = State::kExpectResult;
        return {};
      }
      [[fallthrough]];
    case State::kExpectResult:
      if (m.body_case() != M::kConvertResult) return "expected a ConvertResult message";
      return take_result(m.convert_result());
    case State::kExpectDone:
      if (m.body_case() != M::kDone) return "guest did not end with Done";
      if (m.done().status() != (is_error_kind(report_.result.kind()) ? 1 : 0)) {
        return "Done status does not match the convert result";
      }
      state_ = State::kFinished;
      return {};
    case State::kFinished:
      break;
  }
  return "guest sent messages after Done";
}

std::string ConvertSequence::finish() const {
  switch (state_) {
    case State::kFinished:
      return {};
    case State::kExpectDone:
      return "guest did not end with Done";
    default:
      return "expected a ConvertResult message";
  }
}

}  // namespace instar::channel
