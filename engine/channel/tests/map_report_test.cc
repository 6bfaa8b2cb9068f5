// map_report_test.cc: the host's checks of a map message stream from an untrusted guest.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "engine/channel/map_report.h"

namespace instar::channel {
namespace {

using guest::GuestMessage;

struct Recorder final : MapExtentSink {
  void begin(uint64_t s, uint64_t e) override {
    start = s;
    end = e;
  }
  void extent(const guest::MapExtent& e) override { extents.push_back(e); }
  uint64_t start = 0, end = 0;
  std::vector<guest::MapExtent> extents;
};

GuestMessage begin(uint64_t length) {
  GuestMessage m;
  m.mutable_map_begin()->set_length(length);
  return m;
}

GuestMessage extents(std::vector<std::array<uint64_t, 5>> list) {
  GuestMessage m;
  for (const auto& [start, length, depth, flags, offset] : list) {
    guest::MapExtent* e = m.mutable_map_extents()->add_extents();
    e->set_start(start);
    e->set_length(length);
    e->set_depth(static_cast<uint32_t>(depth));
    e->set_flags(static_cast<uint32_t>(flags));
    e->set_offset(offset);
  }
  return m;
}

GuestMessage result(guest::MapEnd end, uint64_t offset = 0) {
  GuestMessage m;
  m.mutable_map_result()->set_end(end);
  m.mutable_map_result()->set_offset(offset);
  return m;
}

GuestMessage error() {
  GuestMessage m;
  m.mutable_error()->set_code(guest::ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED);
  return m;
}

GuestMessage done(int status) {
  GuestMessage m;
  m.mutable_done()->set_status(status);
  return m;
}

constexpr uint64_t kData = kMapData | kMapOffsetValid | kMapAllocated;

std::string feed(std::vector<GuestMessage> messages, Recorder* r, uint32_t chain = 1,
                 uint64_t start = 0, int64_t max = -1) {
  MapSequence sequence(chain, start, max, *r);
  return feed_all(sequence, messages);
}

TEST(MapReport, ExtentsTilingTheWalkAreHandedOnInOrder) {
  Recorder r;
  EXPECT_EQ(feed({begin(4096), extents({{0, 1024, 0, kData, 4096}}),
                  extents({{1024, 3072, 0, kMapZero, 0}}), result(guest::MAP_COMPLETE), done(0)},
                 &r),
            "");
  ASSERT_EQ(r.extents.size(), 2u);
  EXPECT_EQ(r.end, 4096u);
}

TEST(MapReport, TheHostComputesTheRangeAsImgMapDoes) {
  Recorder r;
  EXPECT_EQ(feed({begin(4096), extents({{1024, 100, 0, kMapZero, 0}}), result(guest::MAP_COMPLETE),
                  done(0)},
                 &r, 1, 1024, 100),
            "");
  // A start past the end, and a sum beyond INT64_MAX: an empty walk.
  EXPECT_EQ(feed({begin(4096), result(guest::MAP_COMPLETE), done(0)}, &r, 1, 8192), "");
  EXPECT_EQ(feed({begin(4096), result(guest::MAP_COMPLETE), done(0)}, &r, 1, 1024, INT64_MAX), "");
  EXPECT_EQ(r.start, r.end);
  EXPECT_NE(feed({begin(4096), extents({{1024, 3072, 0, kMapZero, 0}}), result(guest::MAP_COMPLETE),
                  done(0)},
                 &r, 1, 1024, INT64_MAX),
            "");
}

TEST(MapReport, HostileExtentsAreRefused) {
  const std::vector<std::array<uint64_t, 5>> bad[] = {
      {{1, 4095, 0, kData, 0}},                             // not at the start
      {{0, 0, 0, kData, 0}},                                // empty
      {{0, 8192, 0, kData, 0}},                             // past the walk
      {{0, 4096, 1, kData, 0}},                             // no such layer
      {{0, 4096, 0, 0x80, 0}},                              // unknown flag
      {{0, 4096, 0, kMapAllocated, 0}},                     // neither data nor zero
      {{0, 4096, 0, kData | kMapCompressed, 0}},            // compressed with offset
      {{0, 4096, 0, kMapZero, 7}},                          // offset without OFFSET_VALID
      {{0, 4096, 0, kData, UINT64_MAX - 10}},               // offset overflows
      {{0, 1024, 0, kData, 0}, {2048, 2048, 0, kData, 0}},  // a gap
  };
  for (const auto& list : bad) {
    Recorder r;
    EXPECT_NE(feed({begin(4096), extents(list), result(guest::MAP_COMPLETE), done(0)}, &r), "")
        << list[0][0] << "+" << list[0][1];
  }
}

TEST(MapReport, ResultsMustMatchWhatCameBefore) {
  Recorder r;
  // Complete without covering the walk; a status failure away from where the extents stopped.
  EXPECT_NE(
      feed({begin(4096), extents({{0, 1024, 0, kData, 0}}), result(guest::MAP_COMPLETE), done(0)},
           &r),
      "");
  EXPECT_EQ(feed({begin(4096), extents({{0, 1024, 0, kData, 0}}), error(),
                  result(guest::MAP_STATUS_FAILED, 1024), done(1)},
                 &r),
            "");
  EXPECT_NE(feed({begin(4096), extents({{0, 1024, 0, kData, 0}}), error(),
                  result(guest::MAP_STATUS_FAILED, 0), done(1)},
                 &r),
            "");
  EXPECT_EQ(feed({error(), result(guest::MAP_OPEN_FAILED), done(1)}, &r), "");
  EXPECT_NE(feed({error(), result(guest::MAP_OPEN_FAILED), done(0)}, &r), "");
  EXPECT_NE(feed({begin(4096), result(guest::MAP_OPEN_FAILED), done(1)}, &r), "");
  EXPECT_NE(feed({begin(4096), result(guest::MAP_COMPLETE)}, &r), "");
  EXPECT_NE(feed({begin(0), result(guest::MAP_COMPLETE), done(0), done(0)}, &r), "");
}

}  // namespace
}  // namespace instar::channel
