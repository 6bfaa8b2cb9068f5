// measure_report.cc: validates the order and figures of measure messages from an untrusted guest.
#include "engine/channel/measure_report.h"

namespace instar::channel {

namespace {

bool is_failure_kind(instar::guest::MeasureKind kind) {
  return kind == instar::guest::MEASURE_OPEN_FAILED ||
         kind == instar::guest::MEASURE_STATUS_FAILED ||
         kind == instar::guest::MEASURE_SNAPSHOT_FAILED;
}

}  // namespace

std::string MeasureSequence::take_result(const instar::guest::MeasureResult& r) {
  const instar::guest::MeasureKind kind = r.kind();
  if (!instar::guest::MeasureKind_IsValid(kind) ||
      kind == instar::guest::MEASURE_KIND_UNSPECIFIED) {
    return "unknown measure result kind";
  }
  if (is_failure_kind(kind) != report_.error.has_value()) {
    return "an Error must come with exactly the failure kinds of MeasureResult";
  }
  if (is_failure_kind(kind) &&
      (r.length() != 0 || r.data_bytes() != 0 || r.supports_bitmaps() || r.bitmaps_size() != 0)) {
    return "measure failure with figures";
  }
  const uint64_t cs = cluster_size_;
  if (cs == 0) {
    if (r.data_bytes() != 0 || r.supports_bitmaps() || r.bitmaps_size() != 0) {
      return "measure figures for a target without clusters";
    }
  } else {
    // Data counts whole clusters and never more than the length rounded up to one.
    const uint64_t clusters = r.length() / cs + (r.length() % cs != 0 ? 1 : 0);
    if (r.data_bytes() % cs != 0 || r.data_bytes() / cs > clusters) {
      return "measured data beyond the image";
    }
    if (r.bitmaps_size() % cs != 0 || (!r.supports_bitmaps() && r.bitmaps_size() != 0)) {
      return "bad bitmaps size";
    }
  }
  report_.result = r;
  return {};
}

std::string MeasureSequence::accept(instar::guest::GuestMessage& m) {
  return tail_.accept(
      m, &report_.error, [&] { return take_result(m.measure_result()); },
      [&] { return is_failure_kind(report_.result.kind()); });
}

std::string MeasureSequence::finish() const {
  return tail_.finish();
}

MeasureReportResult assemble_measure_report(std::vector<instar::guest::GuestMessage> messages,
                                            uint64_t cluster_size) {
  MeasureSequence sequence(cluster_size);
  MeasureReportResult result;
  result.protocol_error = feed_all(sequence, messages);
  result.ok = result.protocol_error.empty();
  if (result.ok) result.report = sequence.report();
  return result;
}

}  // namespace instar::channel
