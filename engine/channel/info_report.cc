// info_report.cc: validates the order and counts of info messages from an untrusted guest.
#include "engine/channel/info_report.h"

namespace instar::channel {

namespace {

InfoReportResult fail(std::string why) {
  InfoReportResult r;
  r.protocol_error = std::move(why);
  return r;
}

}  // namespace

InfoReportResult assemble_info_report(const std::vector<instar::guest::GuestMessage>& messages) {
  using M = instar::guest::GuestMessage;
  InfoReportResult result;
  size_t i = 0;
  if (messages.empty()) return fail("guest sent no messages");
  const M& first = messages[i++];
  if (first.body_case() == M::kError) {
    result.report.error = first.error();
  } else if (first.body_case() == M::kInfo) {
    result.report.info = first.info();
    const auto& q = first.info().qcow2();
    const uint64_t snapshots = q.nb_snapshots();
    const uint64_t bitmaps = q.nb_bitmaps();
    if (messages.size() - i < snapshots + bitmaps) return fail("guest sent too few messages");
    for (uint64_t s = 0; s < snapshots; ++s, ++i) {
      if (messages[i].body_case() == M::kError) break;  // a late error ends the report
      if (messages[i].body_case() != M::kSnapshot) return fail("expected a Snapshot message");
      result.report.snapshots.push_back(messages[i].snapshot());
    }
    for (uint64_t b = 0; b < bitmaps && messages[i].body_case() != M::kError; ++b, ++i) {
      if (messages[i].body_case() != M::kBitmap) return fail("expected a Bitmap message");
      result.report.bitmaps.push_back(messages[i].bitmap());
    }
    if (i < messages.size() && messages[i].body_case() == M::kError) {
      result.report.error = messages[i++].error();
    }
  } else {
    return fail("first guest message is neither ImageInfo nor Error");
  }
  if (i >= messages.size() || messages[i].body_case() != M::kDone) {
    return fail("guest did not end with Done");
  }
  if (i + 1 != messages.size()) return fail("guest sent messages after Done");
  result.ok = true;
  return result;
}

}  // namespace instar::channel
