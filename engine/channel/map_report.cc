// map_report.cc: validates the order and contents of map messages from an untrusted guest.
#include "engine/channel/map_report.h"

#include <algorithm>

namespace instar::channel {

namespace {

constexpr uint64_t kInt64Max = 0x7fffffffffffffffull;
constexpr uint32_t kKnownFlags =
    kMapData | kMapZero | kMapOffsetValid | kMapAllocated | kMapCompressed;

}  // namespace

std::string MapSequence::check_extent(const instar::guest::MapExtent& e) const {
  if (e.start() != next_) return "map extent does not start where the last one ended";
  if (e.length() == 0 || e.length() > end_ - next_) return "map extent outside the walk";
  if (e.depth() >= chain_length_) return "map extent names no image of the chain";
  if ((e.flags() & ~kKnownFlags) != 0) return "map extent has unknown flags";
  // Each layer's answer reports data or zeros, or it would not have answered.
  if ((e.flags() & (kMapData | kMapZero)) == 0) return "map extent is neither data nor zero";
  // qcow2 reports compressed clusters as data without a host offset (no file qemu could name).
  if ((e.flags() & kMapCompressed) != 0 &&
      ((e.flags() & kMapData) == 0 || (e.flags() & kMapOffsetValid) != 0)) {
    return "compressed map extent with an offset or without data";
  }
  if ((e.flags() & kMapOffsetValid) == 0 && e.offset() != 0) {
    return "map extent has an offset without OFFSET_VALID";
  }
  if ((e.flags() & kMapOffsetValid) != 0 && e.offset() > kInt64Max - e.length()) {
    return "map extent offset out of range";
  }
  return {};
}

std::string MapSequence::take_extents(const instar::guest::MapExtents& extents) {
  if (extents.extents_size() == 0) return "empty MapExtents message";
  extents_ += static_cast<uint64_t>(extents.extents_size());
  if (extents_ > kMaxMapExtents) return "too many map extents";
  for (const instar::guest::MapExtent& e : extents.extents()) {
    if (std::string why = check_extent(e); !why.empty()) return why;
    next_ += e.length();
    sink_.extent(e);
  }
  return {};
}

std::string MapSequence::take_result(const instar::guest::MapResult& r) {
  switch (r.end()) {
    case instar::guest::MAP_COMPLETE:
      if (state_ != State::kExtents) return "map result without a walk";
      if (next_ != end_) return "map extents do not cover the walk";
      break;
    case instar::guest::MAP_OPEN_FAILED:
      if (state_ != State::kOpenFailed) return "open failure without its Error first";
      break;
    case instar::guest::MAP_STATUS_FAILED:
      if (state_ != State::kStatusFailed) return "status failure without its Error";
      if (r.offset() != next_) return "status failure away from where the extents stopped";
      break;
    default:
      return "unknown map result";
  }
  report_.end = r.end();
  state_ = State::kExpectDone;
  return {};
}

std::string MapSequence::accept(instar::guest::GuestMessage& m) {
  using M = instar::guest::GuestMessage;
  switch (state_) {
    case State::kFirst:
      if (m.body_case() == M::kError) {
        report_.error = std::move(*m.mutable_error());
        state_ = State::kOpenFailed;
        return {};
      }
      if (m.body_case() != M::kMapBegin) return "expected MapBegin";
      report_.length = m.map_begin().length();
      if (report_.length > kInt64Max) return "image length out of range";
      // img_map: length = MIN(start + max_length, length) in int64_t; a sum past INT64_MAX
      // wraps negative and the walk is empty.
      end_ = report_.length;
      if (max_length_ >= 0) {
        const uint64_t max = static_cast<uint64_t>(max_length_);
        end_ = max > kInt64Max - start_ ? 0 : std::min(start_ + max, end_);
      }
      end_ = std::max(end_, start_);
      next_ = start_;
      state_ = State::kExtents;
      sink_.begin(start_, end_);
      return {};
    case State::kExtents:
      if (m.body_case() == M::kMapExtents) return take_extents(m.map_extents());
      if (m.body_case() == M::kError) {
        report_.error = std::move(*m.mutable_error());
        state_ = State::kStatusFailed;
        return {};
      }
      [[fallthrough]];
    case State::kOpenFailed:
    case State::kStatusFailed:
      if (m.body_case() != M::kMapResult) return "expected a MapResult message";
      return take_result(m.map_result());
    case State::kExpectDone:
      if (m.body_case() != M::kDone) return "guest did not end with Done";
      if (m.done().status() != (report_.end == instar::guest::MAP_COMPLETE ? 0 : 1)) {
        return "Done status does not match the map result";
      }
      state_ = State::kFinished;
      return {};
    case State::kFinished:
      break;
  }
  return "guest sent messages after Done";
}

std::string MapSequence::finish() const {
  switch (state_) {
    case State::kFinished:
      return {};
    case State::kExpectDone:
      return "guest did not end with Done";
    default:
      return "expected a MapResult message";
  }
}

}  // namespace instar::channel
