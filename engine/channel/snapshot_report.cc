// snapshot_report.cc: validates the snapshot messages of an untrusted guest.
#include "engine/channel/snapshot_report.h"

namespace instar::channel {

namespace {

bool carries_error(instar::guest::SnapshotKind kind) {
  return kind == instar::guest::SNAPSHOT_OPEN_FAILED || kind == instar::guest::SNAPSHOT_FAILED;
}

}  // namespace

std::string SnapshotSequence::take_result(const instar::guest::SnapshotResult& r) {
  const instar::guest::SnapshotKind kind = r.kind();
  if (!instar::guest::SnapshotKind_IsValid(kind) ||
      kind == instar::guest::SNAPSHOT_KIND_UNSPECIFIED) {
    return "unknown snapshot result kind";
  }
  if (carries_error(kind) != report_.error.has_value()) {
    return "an Error must come with exactly the failure kinds of SnapshotResult";
  }
  if (!instar::guest::RawHead_IsValid(r.raw_head())) return "unknown raw head";
  if (kind == instar::guest::SNAPSHOT_NOT_SUPPORTED && r.format() != instar::guest::FORMAT_RAW &&
      r.format() != instar::guest::FORMAT_VMDK) {
    return "a snapshot refusal for a format that has internal snapshots";
  }
  if (kind == instar::guest::SNAPSHOT_CREATE_FAILED &&
      (r.error_number() == 0 || r.error_number() > 4095)) {
    return "a snapshot create failure without an errno";
  }
  if (r.file_length() > capacity_) return "a snapshot result beyond the device";
  report_.result = r;
  return {};
}

std::string SnapshotSequence::accept(instar::guest::GuestMessage& m) {
  return tail_.accept(
      m, &report_.error, [&] { return take_result(m.snapshot_result()); },
      [&] { return report_.result.kind() != instar::guest::SNAPSHOT_DONE; });
}

std::string SnapshotSequence::finish() const {
  return tail_.finish();
}

SnapshotReportResult assemble_snapshot_report(std::vector<instar::guest::GuestMessage> messages,
                                              uint64_t capacity) {
  SnapshotSequence sequence(capacity);
  SnapshotReportResult result;
  result.protocol_error = feed_all(sequence, messages);
  result.ok = result.protocol_error.empty();
  if (result.ok) result.report = sequence.report();
  return result;
}

}  // namespace instar::channel
