// check_report.cc: validates the order and shape of check messages from an untrusted guest.
#include "engine/channel/check_report.h"

namespace instar::channel {

namespace {

bool counters_zero(const instar::guest::CheckResult& r) {
  return r.corruptions() == 0 && r.leaks() == 0 && r.check_errors() == 0 &&
         r.image_end_offset() == 0 && r.total_clusters() == 0 && r.allocated_clusters() == 0 &&
         r.fragmented_clusters() == 0 && r.compressed_clusters() == 0 && r.error_number() == 0 &&
         r.leaks_fixed() == 0 && r.corruptions_fixed() == 0;
}

}  // namespace

std::string CheckSequence::take_result(instar::guest::CheckResult& r) {
  if (r.format() == instar::guest::FORMAT_RAW || r.format() == instar::guest::FORMAT_VPC ||
      r.format() == instar::guest::FORMAT_QCOW || r.format() == instar::guest::FORMAT_BOCHS ||
      r.format() == instar::guest::FORMAT_CLOOP) {
    // Formats without bdrv_co_check: the result only names the format.
    if (!counters_zero(r) || state_ == State::kDiagnostics) {
      return "raw check result carries check data";
    }
  } else if (r.format() != instar::guest::FORMAT_QCOW2 &&
             r.format() != instar::guest::FORMAT_VMDK && r.format() != instar::guest::FORMAT_VDI &&
             r.format() != instar::guest::FORMAT_QED && r.format() != instar::guest::FORMAT_VHDX &&
             r.format() != instar::guest::FORMAT_PARALLELS) {
    return "check result names no checkable format";
  } else if (r.error_number() < 0 || r.error_number() > 4095) {
    return "check result carries an invalid errno";
  } else if (r.snapshot_table_fault() == instar::guest::SNAPSHOT_TABLE_READ_FAILED) {
    // Only the errors qcow2_do_read_snapshots() can end a check with have a rendering here.
    const auto code = r.snapshot_read_error();
    if (code != instar::guest::ERROR_SNAPSHOT_EXTRA_TOO_LARGE &&
        code != instar::guest::ERROR_SNAPSHOT_TABLE_TOO_BIG && code != instar::guest::ERROR_IO) {
      return "check result names an unexpected snapshot table error";
    }
  } else if (r.snapshot_read_error() != instar::guest::ERROR_NONE) {
    return "check result carries a snapshot table error without the fault";
  }
  report_.result = std::move(r);
  state_ = State::kExpectDone;
  return {};
}

std::string CheckSequence::accept(instar::guest::GuestMessage& m) {
  using M = instar::guest::GuestMessage;
  switch (state_) {
    case State::kFirst:
      if (m.body_case() == M::kError) {
        report_.error = std::move(*m.mutable_error());
        state_ = State::kExpectDone;
        return {};
      }
      [[fallthrough]];
    case State::kDiagnostics:
      // check -r refuses a repair instar does not make after the lines that found it.
      if (m.body_case() == M::kError &&
          m.error().code() == instar::guest::ERROR_CHECK_REPAIR_UNSUPPORTED) {
        report_.error = std::move(*m.mutable_error());
        state_ = State::kExpectDone;
        return {};
      }
      if (m.body_case() == M::kCheckDiagnostics) {
        const auto& words = m.check_diagnostics().words();
        if (words.empty()) return "check diagnostics hold no line";
        if (std::string bad =
                report_.diagnostics.AppendWords({words.data(), static_cast<size_t>(words.size())});
            !bad.empty()) {
          return bad;
        }
        state_ = State::kDiagnostics;
        return {};
      }
      if (m.body_case() == M::kCheckSnapshotLine) {
        const auto& line = m.check_snapshot_line();
        if (std::string bad = report_.diagnostics.AppendSnapshotLine(
                static_cast<uint64_t>(line.line()), line.id(), line.name(), line.value());
            !bad.empty()) {
          return bad;
        }
        state_ = State::kDiagnostics;
        return {};
      }
      if (m.body_case() != M::kCheckResult) return "expected a CheckResult message";
      return take_result(*m.mutable_check_result());
    case State::kExpectDone:
      if (m.body_case() != M::kDone) return "guest did not end with Done";
      state_ = State::kFinished;
      return {};
    case State::kFinished:
      break;
  }
  return "guest sent messages after Done";
}

std::string CheckSequence::finish() const {
  switch (state_) {
    case State::kFinished:
      return {};
    case State::kExpectDone:
      return "guest did not end with Done";
    default:
      return "expected a CheckResult message";
  }
}

CheckReportResult assemble_check_report(std::vector<instar::guest::GuestMessage> messages) {
  CheckSequence sequence;
  CheckReportResult result;
  result.protocol_error = feed_all(sequence, messages);
  result.ok = result.protocol_error.empty();
  if (result.ok) result.report = sequence.report();
  return result;
}

}  // namespace instar::channel
