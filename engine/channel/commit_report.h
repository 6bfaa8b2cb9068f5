// commit_report.h: checks the guest's commit message sequence and extracts its outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "engine/channel/result_tail.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `commit` run said: the result, and the Error that failure kinds carry.
struct CommitReport {
  instar::guest::CommitResult result;
  std::optional<instar::guest::Error> error;
};

// The contract (guest.proto CommitKind): [Error], CommitResult, Done. The Error is present exactly
// for COMMIT_OPEN_FAILED and COMMIT_FAILED; Done's status is 0 for COMMIT_DONE and COMMIT_OPENED,
// else 1; progress steps rise and stay within dirty_bytes; only a qcow2 top is committed.
class CommitSequence final : public MessageSequence {
 public:
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const CommitReport& report() const { return report_; }

 private:
  std::string take_result(const instar::guest::CommitResult& result);

  ResultTail tail_{instar::guest::GuestMessage::kCommitResult, "CommitResult", "commit"};
  CommitReport report_;
};

struct CommitReportResult {
  bool ok = false;
  std::string protocol_error;
  CommitReport report;
};

// CommitSequence over already-decoded messages (tests, fuzzers).
CommitReportResult assemble_commit_report(std::vector<instar::guest::GuestMessage> messages);

}  // namespace instar::channel
