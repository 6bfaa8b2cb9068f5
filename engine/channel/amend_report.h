// amend_report.h: checks the guest's amend message sequence and extracts its outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "engine/channel/result_tail.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `amend` run said: the result, and the Error that failure kinds carry.
struct AmendReport {
  instar::guest::AmendResult result;
  std::optional<instar::guest::Error> error;
};

// The contract (guest.proto AmendKind): [Error], AmendResult, Done. The Error is present exactly
// for AMEND_OPEN_FAILED and AMEND_FAILED; Done's status is 0 for AMEND_DONE and AMEND_OPENED,
// else 1. AMEND_REFUSED names a known refusal (and only it does); progress values lie in
// [0, 100]; only a qcow2 image is amended.
class AmendSequence final : public MessageSequence {
 public:
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const AmendReport& report() const { return report_; }

 private:
  std::string take_result(const instar::guest::AmendResult& result);

  ResultTail tail_{instar::guest::GuestMessage::kAmendResult, "AmendResult", "amend"};
  AmendReport report_;
};

struct AmendReportResult {
  bool ok = false;
  std::string protocol_error;
  AmendReport report;
};

// AmendSequence over already-decoded messages (tests, fuzzers).
AmendReportResult assemble_amend_report(std::vector<instar::guest::GuestMessage> messages);

}  // namespace instar::channel
