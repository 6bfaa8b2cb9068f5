// check_report.cc: validates the order and shape of check messages from an untrusted guest.
#include "engine/channel/check_report.h"

namespace instar::channel {

namespace {

CheckReportResult fail(std::string why) {
  CheckReportResult r;
  r.protocol_error = std::move(why);
  return r;
}

bool counters_zero(const instar::guest::CheckResult& r) {
  return r.corruptions() == 0 && r.leaks() == 0 && r.check_errors() == 0 &&
         r.image_end_offset() == 0 && r.total_clusters() == 0 && r.allocated_clusters() == 0 &&
         r.fragmented_clusters() == 0 && r.compressed_clusters() == 0 && r.error_number() == 0;
}

}  // namespace

CheckReportResult assemble_check_report(const std::vector<instar::guest::GuestMessage>& messages) {
  using M = instar::guest::GuestMessage;
  CheckReportResult result;
  size_t i = 0;
  if (messages.empty()) return fail("guest sent no messages");
  if (messages[0].body_case() == M::kError) {
    result.report.error = messages[i++].error();
  } else {
    for (; i < messages.size() && messages[i].body_case() == M::kCheckDiagnostics; ++i) {
      const std::string& text = messages[i].check_diagnostics().text();
      if (text.empty() || text.back() != '\n') return fail("check diagnostics are not whole lines");
      result.report.diagnostics += text;
    }
    if (i >= messages.size() || messages[i].body_case() != M::kCheckResult) {
      return fail("expected a CheckResult message");
    }
    const instar::guest::CheckResult& r = messages[i++].check_result();
    if (r.format() == instar::guest::FORMAT_RAW) {
      if (!counters_zero(r) || !result.report.diagnostics.empty()) {
        return fail("raw check result carries check data");
      }
    } else if (r.format() != instar::guest::FORMAT_QCOW2) {
      return fail("check result names no checkable format");
    } else if (r.error_number() < 0 || r.error_number() > 4095) {
      return fail("check result carries an invalid errno");
    }
    result.report.result = r;
  }
  if (i >= messages.size() || messages[i].body_case() != M::kDone) {
    return fail("guest did not end with Done");
  }
  if (i + 1 != messages.size()) return fail("guest sent messages after Done");
  result.ok = true;
  return result;
}

}  // namespace instar::channel
