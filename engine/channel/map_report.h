// map_report.h: checks the guest's map message sequence and hands each extent on as it arrives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "guest/abi/guest.pb.h"

namespace instar::channel {

// MapExtent.flags bits (qemu's BDRV_BLOCK_* values; COMPRESSED is 8.0+'s).
inline constexpr uint32_t kMapData = 0x01;
inline constexpr uint32_t kMapZero = 0x02;
inline constexpr uint32_t kMapOffsetValid = 0x04;
inline constexpr uint32_t kMapAllocated = 0x10;
inline constexpr uint32_t kMapCompressed = 0x40;

// The most extents one run may report in all: a walk with an extent per 64 KiB cluster of a
// 2 TiB image, far beyond what merged runs of real images reach.
inline constexpr uint64_t kMaxMapExtents = 1ull << 25;

// Where checked extents go, in order, the moment they are accepted.
class MapExtentSink {
 public:
  virtual ~MapExtentSink() = default;
  // The image opened; the walk covers [start, end).
  virtual void begin(uint64_t start, uint64_t end) = 0;
  virtual void extent(const instar::guest::MapExtent& extent) = 0;
};

// What one sandboxed `map` run said besides its extents.
struct MapReport {
  instar::guest::MapEnd end = instar::guest::MAP_END_UNSPECIFIED;
  std::optional<instar::guest::Error> error;
  uint64_t length = 0;  // MapBegin: the image's length
};

// The contract (guest.proto MapBegin): MapBegin, MapExtents*, [Error], MapResult, Done; or
// Error, MapResult(MAP_OPEN_FAILED), Done. The host computes the walk's range itself from the
// image length and the options (img_map: MIN(start + max_length, length), a sum beyond INT64_MAX
// walking nothing); the extents must tile it from `start`, each inside the chain of
// `chain_length` images, with flags qemu can produce, up to the failing offset of a
// MAP_STATUS_FAILED result or to the end of a MAP_COMPLETE one.
class MapSequence final : public MessageSequence {
 public:
  MapSequence(uint32_t chain_length, uint64_t start, int64_t max_length, MapExtentSink& sink)
      : chain_length_(chain_length), start_(start), max_length_(max_length), sink_(sink) {}
  std::string accept(instar::guest::GuestMessage& message) override;
  std::string finish() const override;
  const MapReport& report() const { return report_; }

 private:
  enum class State { kFirst, kOpenFailed, kExtents, kStatusFailed, kExpectDone, kFinished };
  std::string take_extents(const instar::guest::MapExtents& extents);
  std::string take_result(const instar::guest::MapResult& result);
  std::string check_extent(const instar::guest::MapExtent& extent) const;

  uint32_t chain_length_;
  uint64_t start_;
  int64_t max_length_;
  MapExtentSink& sink_;
  State state_ = State::kFirst;
  uint64_t end_ = 0;
  uint64_t next_ = 0;  // where the next extent must start
  uint64_t extents_ = 0;
  MapReport report_;
};

}  // namespace instar::channel
