// rebase_report.cc: validates the rebase messages of an untrusted guest.
#include "engine/channel/rebase_report.h"

#include <cerrno>

namespace instar::channel {

namespace {

bool carries_error(instar::guest::RebaseKind kind) {
  return kind == instar::guest::REBASE_OPEN_FAILED || kind == instar::guest::REBASE_FAILED;
}

bool succeeded(instar::guest::RebaseKind kind) {
  return kind == instar::guest::REBASE_DONE || kind == instar::guest::REBASE_OPENED;
}

bool known_errno(uint32_t e) {
  return e == EINVAL || e == ENOTSUP || e == ENOSPC || e == EIO;
}

}  // namespace

std::string RebaseSequence::take_result(const instar::guest::RebaseResult& r) {
  const instar::guest::RebaseKind kind = r.kind();
  if (!instar::guest::RebaseKind_IsValid(kind) || kind == instar::guest::REBASE_KIND_UNSPECIFIED) {
    return "unknown rebase result kind";
  }
  if (carries_error(kind) != report_.error.has_value()) {
    return "an Error must come with exactly the failure kinds of RebaseResult";
  }
  if (!instar::guest::RawHead_IsValid(r.raw_head())) return "unknown raw head";
  if ((kind == instar::guest::REBASE_CHANGE_FAILED) != (r.change_errno() != 0) ||
      (r.change_errno() != 0 && !known_errno(r.change_errno()))) {
    return "a rebase change failure without a known errno";
  }
  if (kind == instar::guest::REBASE_DONE && r.format() != instar::guest::FORMAT_QCOW2) {
    return "a rebase of an image that is not qcow2";
  }
  report_.result = r;
  return {};
}

std::string RebaseSequence::accept(instar::guest::GuestMessage& m) {
  return tail_.accept(
      m, &report_.error, [&] { return take_result(m.rebase_result()); },
      [&] { return !succeeded(report_.result.kind()); });
}

std::string RebaseSequence::finish() const {
  return tail_.finish();
}

RebaseReportResult assemble_rebase_report(std::vector<instar::guest::GuestMessage> messages) {
  RebaseSequence sequence;
  RebaseReportResult result;
  result.protocol_error = feed_all(sequence, messages);
  result.ok = result.protocol_error.empty();
  if (result.ok) result.report = sequence.report();
  return result;
}

}  // namespace instar::channel
