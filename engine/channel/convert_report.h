// convert_report.h: checks the guest's convert message sequence, passing progress on as it comes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
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
// total constant and non-zero, done increasing up to it) mixed with ConvertSalvaged* (only when
// --salvage was asked for; a known kind, an input below `inputs`, a code with at most four
// arguments, and corruption_event at most once per input and only for a code qemu signals as a
// corruption event), then [Error], ConvertResult, Done. The Error comes exactly with the error
// kinds; Done's status is 0 for CONVERT_DONE, 1 otherwise; an input index is below `inputs`.
// Each accepted progress or salvaged sector goes to its callback at once, so the host prints it
// while the copy runs.
class ConvertSequence final : public MessageSequence {
 public:
  using ProgressCallback = std::function<void(uint64_t done, uint64_t total)>;
  using SalvageCallback = std::function<void(const instar::guest::ConvertSalvaged&)>;
  ConvertSequence(uint32_t inputs, bool progress, ProgressCallback on_progress,
                  SalvageCallback on_salvaged = {})
      : inputs_(inputs),
        progress_(progress),
        on_progress_(std::move(on_progress)),
        on_salvaged_(std::move(on_salvaged)) {}
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const ConvertReport& report() const { return report_; }

 private:
  std::string take_progress(const instar::guest::ConvertProgress& p);
  std::string take_result(const instar::guest::ConvertResult& r);
  std::string take_salvaged(const instar::guest::ConvertSalvaged& s);

  uint32_t inputs_;
  bool progress_;
  ProgressCallback on_progress_;
  SalvageCallback on_salvaged_;           // empty: --salvage was not asked for
  std::set<uint32_t> corruption_events_;  // inputs whose first corruption event came
  uint64_t last_done_ = 0;
  uint64_t total_ = 0;
  ResultTail tail_{instar::guest::GuestMessage::kConvertResult, "ConvertResult", "convert"};
  ConvertReport report_;
};

}  // namespace instar::channel
