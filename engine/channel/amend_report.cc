// amend_report.cc: validates the amend messages of an untrusted guest.
#include "engine/channel/amend_report.h"

namespace instar::channel {

namespace {

using instar::guest::AmendKind;

bool carries_error(AmendKind kind) {
  return kind == instar::guest::AMEND_OPEN_FAILED || kind == instar::guest::AMEND_FAILED;
}

bool succeeded(AmendKind kind) {
  return kind == instar::guest::AMEND_DONE || kind == instar::guest::AMEND_OPENED;
}

}  // namespace

std::string AmendSequence::take_result(const instar::guest::AmendResult& r) {
  const AmendKind kind = r.kind();
  if (!instar::guest::AmendKind_IsValid(kind) || kind == instar::guest::AMEND_KIND_UNSPECIFIED) {
    return "unknown amend result kind";
  }
  if (carries_error(kind) != report_.error.has_value()) {
    return "an Error must come with exactly the failure kinds of AmendResult";
  }
  if (!instar::guest::RawHead_IsValid(r.raw_head())) return "unknown raw head";
  if (!instar::guest::Format_IsValid(r.format())) return "unknown format";
  if (!instar::guest::AmendRefusal_IsValid(r.refusal()) ||
      (kind == instar::guest::AMEND_REFUSED) !=
          (r.refusal() != instar::guest::AMEND_REFUSAL_NONE)) {
    return "an amend refusal without a known reason";
  }
  for (const float p : r.progress()) {
    if (!(p >= 0 && p <= 100)) return "an amend progress value outside [0, 100]";
  }
  if ((kind == instar::guest::AMEND_DONE || kind == instar::guest::AMEND_REFUSED) &&
      r.format() != instar::guest::FORMAT_QCOW2) {
    return "an amend of an image that is not qcow2";
  }
  report_.result = r;
  return {};
}

std::string AmendSequence::accept(instar::guest::GuestMessage& m) {
  return tail_.accept(
      m, &report_.error, [&] { return take_result(m.amend_result()); },
      [&] { return !succeeded(report_.result.kind()); });
}

std::string AmendSequence::finish() const {
  return tail_.finish();
}

AmendReportResult assemble_amend_report(std::vector<instar::guest::GuestMessage> messages) {
  AmendSequence sequence;
  AmendReportResult result;
  result.protocol_error = feed_all(sequence, messages);
  result.ok = result.protocol_error.empty();
  if (result.ok) result.report = sequence.report();
  return result;
}

}  // namespace instar::channel
