// info_report.h: assembles the guest's info message sequence into one checked report.
#pragma once

#include <optional>
#include <string>
#include <vector>

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

struct InfoReportResult {
  bool ok = false;
  std::string protocol_error;  // set when the sequence is not what the guest contract allows
  InfoReport report;
};

// The contract: [ImageInfo, Snapshot x nb_snapshots, Bitmap x nb_bitmaps | Error], Done.
InfoReportResult assemble_info_report(const std::vector<instar::guest::GuestMessage>& messages);

}  // namespace instar::channel
