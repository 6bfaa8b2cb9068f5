// info_report.h: assembles the guest's info message sequence into one checked report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// What one sandboxed `info` run said about one image: either `error` or `info` (+ the snapshots
// and bitmaps its Qcow2Info announced).
struct InfoReport {
  std::optional<instar::guest::Error> error;
  std::optional<instar::guest::ImageInfo> info;
  std::vector<instar::guest::Snapshot> snapshots;
  std::vector<instar::guest::Bitmap> bitmaps;
};

// The contract: [ImageInfo, Snapshot x nb_snapshots, Bitmap x nb_bitmaps | Error], Done; an
// Error may also take the place of any announced Snapshot or Bitmap (a late error ends the
// report). The budget is what ImageInfo announces, itself capped at qemu's limits (65536
// snapshots, 65535 bitmaps): 1 ImageInfo + nb_snapshots + nb_bitmaps + [Error] + Done.
class InfoSequence final : public MessageSequence {
 public:
  static constexpr uint64_t kMaxSnapshots = 65536;  // qemu's QCOW_MAX_SNAPSHOTS
  static constexpr uint64_t kMaxBitmaps = 65535;    // qemu's QCOW2_MAX_BITMAPS

  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const InfoReport& report() const { return report_; }

 private:
  enum class State { kFirst, kSnapshots, kBitmaps, kAfterEntries, kExpectDone, kFinished };
  void after_entries();  // moves on once the announced snapshots (then bitmaps) have arrived

  State state_ = State::kFirst;
  uint64_t snapshots_left_ = 0;
  uint64_t bitmaps_left_ = 0;
  InfoReport report_;
};

struct InfoReportResult {
  bool ok = false;
  std::string protocol_error;  // set when the sequence is not what the guest contract allows
  InfoReport report;
};

// InfoSequence over already-decoded messages (tests, fuzzers).
InfoReportResult assemble_info_report(std::vector<instar::guest::GuestMessage> messages);

}  // namespace instar::channel
