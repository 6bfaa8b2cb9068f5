// resize_report.h: checks the guest's resize message sequence and extracts its outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "engine/channel/result_tail.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `resize` run said: the result, and the Error that failure kinds carry.
struct ResizeReport {
  instar::guest::ResizeResult result;
  std::optional<instar::guest::Error> error;
};

// The contract (guest.proto ResizeKind): [Error], ResizeResult, Done. The Error is present
// exactly for RESIZE_OPEN_FAILED and RESIZE_FAILED; Done's status is 0 for RESIZE_DONE and
// RESIZE_RAW, else 1. A qcow2 result may not leave the file longer than the device the host
// bounded (`capacity`), and a raw result comes only for a raw image.
class ResizeSequence final : public MessageSequence {
 public:
  explicit ResizeSequence(uint64_t capacity) : capacity_(capacity) {}
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const ResizeReport& report() const { return report_; }

 private:
  std::string take_result(const instar::guest::ResizeResult& result);

  uint64_t capacity_;
  ResultTail tail_{instar::guest::GuestMessage::kResizeResult, "ResizeResult", "resize"};
  ResizeReport report_;
};

struct ResizeReportResult {
  bool ok = false;
  std::string protocol_error;
  ResizeReport report;
};

// ResizeSequence over already-decoded messages (tests, fuzzers).
ResizeReportResult assemble_resize_report(std::vector<instar::guest::GuestMessage> messages,
                                          uint64_t capacity);

}  // namespace instar::channel
