// rebase_report.h: checks the guest's rebase message sequence and extracts its outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "engine/channel/result_tail.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `rebase` run said: the result, and the Error that failure kinds carry.
struct RebaseReport {
  instar::guest::RebaseResult result;
  std::optional<instar::guest::Error> error;
};

// The contract (guest.proto RebaseKind): [Error], RebaseResult, Done. The Error is present
// exactly for REBASE_OPEN_FAILED and REBASE_FAILED; Done's status is 0 for REBASE_DONE and
// REBASE_OPENED, else 1. A change failure names one of the errnos the guest may give, and only a
// qcow2 image is changed.
class RebaseSequence final : public MessageSequence {
 public:
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const RebaseReport& report() const { return report_; }

 private:
  std::string take_result(const instar::guest::RebaseResult& result);

  ResultTail tail_{instar::guest::GuestMessage::kRebaseResult, "RebaseResult", "rebase"};
  RebaseReport report_;
};

struct RebaseReportResult {
  bool ok = false;
  std::string protocol_error;
  RebaseReport report;
};

// RebaseSequence over already-decoded messages (tests, fuzzers).
RebaseReportResult assemble_rebase_report(std::vector<instar::guest::GuestMessage> messages);

}  // namespace instar::channel
