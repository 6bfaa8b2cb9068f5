// check_report.h: assembles the guest's check message sequence into one checked report.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "engine/render/check_lines.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `check` run said: either `error` (the image did not open) or the lines qemu
// prints on stderr during the check (as codes and numbers, rendered by the host) plus the result
// counters.
struct CheckReport {
  std::optional<instar::guest::Error> error;
  render::CheckLines diagnostics;  // in qemu's order
  std::optional<instar::guest::CheckResult> result;
};

// The contract: [Error | (CheckDiagnostics | CheckSnapshotLine)*, CheckResult], Done. Every line
// has a code the host has a template for and exactly that template's numbers; a CheckDiagnostics
// holds at least one line; a raw result carries no counters. The lines are kept compactly
// (about their encoded size), bounded by the run's total message budget (check_command.cc).
class CheckSequence final : public MessageSequence {
 public:
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const CheckReport& report() const { return report_; }

 private:
  enum class State { kFirst, kDiagnostics, kExpectDone, kFinished };
  std::string take_result(instar::guest::CheckResult& result);

  State state_ = State::kFirst;
  CheckReport report_;
};

struct CheckReportResult {
  bool ok = false;
  std::string protocol_error;  // set when the sequence is not what the guest contract allows
  CheckReport report;
};

// CheckSequence over already-decoded messages (tests, fuzzers).
CheckReportResult assemble_check_report(std::vector<instar::guest::GuestMessage> messages);

}  // namespace instar::channel
