// measure_report.h: checks the guest's measure message sequence and extracts its outcome.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "engine/channel/result_tail.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `measure` run said: the result, and the Error that failure kinds carry.
struct MeasureReport {
  instar::guest::MeasureResult result;
  std::optional<instar::guest::Error> error;
};

// The contract (guest.proto MeasureKind): [Error], MeasureResult, Done. The Error is present
// exactly for the failure kinds, which carry no figures; Done's status is 1 for them, else 0.
// The figures must be what the walk can produce for `cluster_size` (OpConfig's): whole clusters
// of data within the rounded-up length, whole clusters of bitmaps, and none of either when
// cluster_size is 0; bitmaps only for a source that supports them.
class MeasureSequence final : public MessageSequence {
 public:
  explicit MeasureSequence(uint64_t cluster_size) : cluster_size_(cluster_size) {}
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const MeasureReport& report() const { return report_; }

 private:
  std::string take_result(const instar::guest::MeasureResult& result);

  uint64_t cluster_size_;
  ResultTail tail_{instar::guest::GuestMessage::kMeasureResult, "MeasureResult", "measure"};
  MeasureReport report_;
};

struct MeasureReportResult {
  bool ok = false;
  std::string protocol_error;  // set when the sequence is not what the guest contract allows
  MeasureReport report;
};

// MeasureSequence over already-decoded messages (tests, fuzzers).
MeasureReportResult assemble_measure_report(std::vector<instar::guest::GuestMessage> messages,
                                            uint64_t cluster_size);

}  // namespace instar::channel
