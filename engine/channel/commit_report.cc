// commit_report.cc: validates the commit messages of an untrusted guest.
#include "engine/channel/commit_report.h"

namespace instar::channel {

namespace {

using instar::guest::CommitKind;

bool carries_error(CommitKind kind) {
  return kind == instar::guest::COMMIT_OPEN_FAILED || kind == instar::guest::COMMIT_FAILED;
}

}  // namespace

std::string CommitSequence::take_result(const instar::guest::CommitResult& r) {
  const CommitKind kind = r.kind();
  if (!instar::guest::CommitKind_IsValid(kind) || kind == instar::guest::COMMIT_KIND_UNSPECIFIED) {
    return "unknown commit result kind";
  }
  if (carries_error(kind) != report_.error.has_value()) {
    return "an Error must come with exactly the failure kinds of CommitResult";
  }
  if (!instar::guest::RawHead_IsValid(r.raw_head())) return "unknown raw head";
  if (!instar::guest::Format_IsValid(r.format())) return "unknown format";
  uint64_t last = 0;
  for (const uint64_t done : r.progress()) {
    if (done < last || done > r.dirty_bytes()) return "a commit progress step out of order";
    last = done;
  }
  if (kind == instar::guest::COMMIT_DONE && r.format() != instar::guest::FORMAT_QCOW2) {
    return "a commit of a top image that is not qcow2";
  }
  report_.result = r;
  return {};
}

std::string CommitSequence::accept(instar::guest::GuestMessage& m) {
  return tail_.accept(
      m, &report_.error, [&] { return take_result(m.commit_result()); },
      [&] {
        return report_.result.kind() != instar::guest::COMMIT_DONE &&
               report_.result.kind() != instar::guest::COMMIT_OPENED;
      });
}

std::string CommitSequence::finish() const {
  return tail_.finish();
}

CommitReportResult assemble_commit_report(std::vector<instar::guest::GuestMessage> messages) {
  CommitSequence sequence;
  CommitReportResult result;
  result.protocol_error = feed_all(sequence, messages);
  result.ok = result.protocol_error.empty();
  if (result.ok) result.report = sequence.report();
  return result;
}

}  // namespace instar::channel
