// convert_report.h: checks the guest's convert message sequence, passing progress on as it comes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "engine/channel/message_sequence.h"
#include "engine/channel/result_tail.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

struct ConvertReport {
  instar::guest::ConvertResult result;
  std::optional<instar::guest::Error> error;
};

// The contract (guest.proto ConvertKind): ConvertProgress* (only when progress was asked for;
// total constant and non-zero, done increasing up to it), [Error], ConvertResult, Done. The Error
// comes exactly with the error kinds; Done's status is 0 for CONVERT_DONE, 1 otherwise; an
// input index is below `inputs`. Each accepted progress goes to `on_progress` at once, so the
// host prints it while the copy runs.
class ConvertSequence final : public MessageSequence {
 public:
  using ProgressCallback = std::function<void(uint64_t done, uint64_t total)>;
  ConvertSequence(uint32_t inputs, bool progress, ProgressCallback on_progress)
      : inputs_(inputs), progress_(progress), on_progress_(std::move(on_progress)) {}
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const ConvertReport& report() const { return report_; }

 private:
  std::string take_progress(const instar::guest::ConvertProgress& p);
  std::string take_result(const instar::guest::ConvertResult& r);

  uint32_t inputs_;
  bool progress_;
  ProgressCallback on_progress_;
  uint64_t last_done_ = 0;
  uint64_t total_ = 0;
  ResultTail tail_{instar::guest::GuestMessage::kConvertResult, "ConvertResult", "convert"};
  ConvertReport report_;
};

}  // namespace instar::channel
