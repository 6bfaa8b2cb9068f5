// compare_report.h: checks the guest's compare message sequence and extracts its outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "engine/channel/result_tail.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `compare` run said: the result, and the Error that error kinds carry.
struct CompareReport {
  instar::guest::CompareResult result;
  std::optional<instar::guest::Error> error;
};

// The contract (guest.proto CompareKind): [Error], CompareResult, Done: three messages at most.
// The Error is present exactly for the error kinds (open, status, read failures), whose image
// index is 0 or 1; Done's status is 1 for them and 0 otherwise. `two_images` false: the run
// opened image 0 only, so the only results allowed are its open failure and
// COMPARE_FIRST_OPENED.
class CompareSequence final : public MessageSequence {
 public:
  explicit CompareSequence(bool two_images) : two_images_(two_images) {}
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const CompareReport& report() const { return report_; }

 private:
  std::string take_result(const instar::guest::CompareResult& result);

  bool two_images_;
  ResultTail tail_{instar::guest::GuestMessage::kCompareResult, "CompareResult", "compare"};
  CompareReport report_;
};

struct CompareReportResult {
  bool ok = false;
  std::string protocol_error;  // set when the sequence is not what the guest contract allows
  CompareReport report;
};

// CompareSequence over already-decoded messages (tests, fuzzers).
CompareReportResult assemble_compare_report(std::vector<instar::guest::GuestMessage> messages,
                                            bool two_images);

}  // namespace instar::channel
