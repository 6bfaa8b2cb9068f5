// info_report.cc: validates the order and counts of info messages from an untrusted guest.
#include "engine/channel/info_report.h"

namespace instar::channel {

void InfoSequence::after_entries() {
  if (snapshots_left_ != 0) {
    state_ = State::kSnapshots;
  } else if (bitmaps_left_ != 0) {
    state_ = State::kBitmaps;
  } else {
    state_ = State::kAfterEntries;
  }
}

std::string InfoSequence::accept(instar::guest::GuestMessage& m) {
  using M = instar::guest::GuestMessage;
  const M::BodyCase kind = m.body_case();
  switch (state_) {
    case State::kFirst:
      if (kind == M::kError) {
        report_.error = std::move(*m.mutable_error());
        state_ = State::kExpectDone;
        return {};
      }
      if (kind != M::kInfo) return "first guest message is neither ImageInfo nor Error";
      snapshots_left_ = m.info().qcow2().nb_snapshots();
      bitmaps_left_ = m.info().qcow2().nb_bitmaps();
      if (snapshots_left_ > kMaxSnapshots) return "guest announced too many snapshots";
      if (bitmaps_left_ > kMaxBitmaps) return "guest announced too many bitmaps";
      report_.info = std::move(*m.mutable_info());
      after_entries();
      return {};
    case State::kSnapshots:
    case State::kBitmaps:
      if (kind == M::kError) {  // a late error ends the report
        report_.error = std::move(*m.mutable_error());
        state_ = State::kExpectDone;
        return {};
      }
      if (kind == M::kDone) return "guest sent too few messages";
      if (state_ == State::kSnapshots) {
        if (kind != M::kSnapshot) return "expected a Snapshot message";
        report_.snapshots.push_back(std::move(*m.mutable_snapshot()));
        --snapshots_left_;
      } else {
        if (kind != M::kBitmap) return "expected a Bitmap message";
        report_.bitmaps.push_back(std::move(*m.mutable_bitmap()));
        --bitmaps_left_;
      }
      after_entries();
      return {};
    case State::kAfterEntries:
      if (kind == M::kError) {
        report_.error = std::move(*m.mutable_error());
        state_ = State::kExpectDone;
        return {};
      }
      [[fallthrough]];
    case State::kExpectDone:
      if (kind != M::kDone) return "guest did not end with Done";
      state_ = State::kFinished;
      return {};
    case State::kFinished:
      break;
  }
  return "guest sent messages after Done";
}

std::string InfoSequence::finish() const {
  switch (state_) {
    case State::kFinished:
      return {};
    case State::kFirst:
      return "guest sent no messages";
    case State::kSnapshots:
    case State::kBitmaps:
      return "guest sent too few messages";
    default:
      return "guest did not end with Done";
  }
}

InfoReportResult assemble_info_report(std::vector<instar::guest::GuestMessage> messages) {
  InfoSequence sequence;
  InfoReportResult result;
  result.protocol_error = feed_all(sequence, messages);
  result.ok = result.protocol_error.empty();
  if (result.ok) result.report = sequence.report();
  return result;
}

}  // namespace instar::channel
