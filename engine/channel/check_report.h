// check_report.h: assembles the guest's check message sequence into one checked report.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `check` run said: either `error` (the image did not open) or the stderr
// text qemu prints during the check plus the result counters.
struct CheckReport {
  std::optional<instar::guest::Error> error;
  std::string diagnostics;  // newline-terminated lines, in qemu's order
  std::optional<instar::guest::CheckResult> result;
};

struct CheckReportResult {
  bool ok = false;
  std::string protocol_error;  // set when the sequence is not what the guest contract allows
  CheckReport report;
};

// The contract: [Error | CheckDiagnostics*, CheckResult], Done. Each CheckDiagnostics text is
// whole lines (non-empty, '\n'-terminated); a raw result carries no counters.
CheckReportResult assemble_check_report(const std::vector<instar::guest::GuestMessage>& messages);

}  // namespace instar::channel
