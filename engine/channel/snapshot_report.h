// snapshot_report.h: checks the guest's resize message sequence and extracts its outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "engine/channel/result_tail.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `snapshot -c/-a/-d` run said: the result, and the Error that failure kinds
// carry.
struct SnapshotReport {
  instar::guest::SnapshotResult result;
  std::optional<instar::guest::Error> error;
};

// The contract (guest.proto SnapshotKind): [Error], SnapshotResult, Done. The Error is present
// exactly for SNAPSHOT_OPEN_FAILED and SNAPSHOT_FAILED; Done's status is 0 for SNAPSHOT_DONE,
// else 1. No result may leave the file longer than the device the host bounded (`capacity`), a
// refusal for want of internal snapshots comes only for raw and vmdk, and a create failure
// carries an errno.
class SnapshotSequence final : public MessageSequence {
 public:
  explicit SnapshotSequence(uint64_t capacity) : capacity_(capacity) {}
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const SnapshotReport& report() const { return report_; }

 private:
  std::string take_result(const instar::guest::SnapshotResult& result);

  uint64_t capacity_;
  ResultTail tail_{instar::guest::GuestMessage::kSnapshotResult, "SnapshotResult", "snapshot"};
  SnapshotReport report_;
};

struct SnapshotReportResult {
  bool ok = false;
  std::string protocol_error;
  SnapshotReport report;
};

// SnapshotSequence over already-decoded messages (tests, fuzzers).
SnapshotReportResult assemble_snapshot_report(std::vector<instar::guest::GuestMessage> messages,
                                              uint64_t capacity);

}  // namespace instar::channel
