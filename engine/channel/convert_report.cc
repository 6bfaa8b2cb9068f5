// convert_report.cc: validates the order and contents of convert messages from an untrusted guest.
#include "engine/channel/convert_report.h"

#include "engine/render/error_text.h"

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

std::string ConvertSequence::take_salvaged(const instar::guest::ConvertSalvaged& s) {
  if (!on_salvaged_) return "salvaged sectors the host did not ask for";
  if (s.kind() != instar::guest::SALVAGE_BLOCK_STATUS && s.kind() != instar::guest::SALVAGE_READ) {
    return "unknown salvage kind";
  }
  if (s.input() >= inputs_) return "bad input index";
  if (!instar::guest::ErrorCode_IsValid(s.code()) || s.code() == instar::guest::ERROR_NONE ||
      s.args_size() > 4) {
    return "bad salvaged error";
  }
  if (s.corruption_event()) {
    instar::guest::Error e;
    e.set_code(s.code());
    *e.mutable_args() = s.args();
    if (render::GuestErrorText(e).preamble.empty()) return "a corruption event without one";
    if (!corruption_events_.insert(s.input()).second) return "a second first corruption event";
  }
  on_salvaged_(s);
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
  return {};
}

std::string ConvertSequence::accept(instar::guest::GuestMessage& m) {
  if (tail_.at_start() && m.body_case() == instar::guest::GuestMessage::kConvertProgress) {
    return take_progress(m.convert_progress());
  }
  if (tail_.at_start() && m.body_case() == instar::guest::GuestMessage::kConvertSalvaged) {
    return take_salvaged(m.convert_salvaged());
  }
  return tail_.accept(
      m, &report_.error, [&] { return take_result(m.convert_result()); },
      [&] { return is_error_kind(report_.result.kind()); });
}

std::string ConvertSequence::finish() const {
  return tail_.finish();
}

}  // namespace instar::channel
