// convert_report_test.cc: the convert message sequence contract, including hostile orderings.
#include "engine/channel/convert_report.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace instar::channel {
namespace {

using instar::guest::GuestMessage;

GuestMessage progress(uint64_t done, uint64_t total) {
  GuestMessage m;
  m.mutable_convert_progress()->set_done_sectors(done);
  m.mutable_convert_progress()->set_total_sectors(total);
  return m;
}
GuestMessage result(instar::guest::ConvertKind kind, uint32_t input = 0, uint64_t offset = 0) {
  GuestMessage m;
  m.mutable_convert_result()->set_kind(kind);
  m.mutable_convert_result()->set_input(input);
  m.mutable_convert_result()->set_offset(offset);
  return m;
}
GuestMessage error() {
  GuestMessage m;
  m.mutable_error()->set_code(instar::guest::ERROR_IO);
  return m;
}
GuestMessage done(int32_t status) {
  GuestMessage m;
  m.mutable_done()->set_status(status);
  return m;
}

// Feeds `messages`; returns the first refusal ("" when the sequence is accepted and complete)
// and the progress the host was handed.
std::pair<std::string, std::vector<uint64_t>> feed(std::vector<GuestMessage> messages,
                                                   bool want_progress, uint32_t inputs = 1) {
  std::vector<uint64_t> seen;
  ConvertSequence sequence(inputs, want_progress,
                           [&seen](uint64_t d, uint64_t) { seen.push_back(d); });
  return {feed_all(sequence, messages), seen};
}

TEST(ConvertReport, ProgressThenDone) {
  const auto [why, seen] =
      feed({progress(4, 10), progress(10, 10), result(instar::guest::CONVERT_DONE), done(0)}, true);
  EXPECT_EQ(why, "");
  EXPECT_EQ(seen, (std::vector<uint64_t>{4, 10}));
}

TEST(ConvertReport, ErrorKindsCarryAnError) {
  EXPECT_EQ(
      feed({progress(4, 10), error(), result(instar::guest::CONVERT_READ_FAILED, 0, 512), done(1)},
           true)
          .first,
      "");
  EXPECT_NE(feed({result(instar::guest::CONVERT_READ_FAILED), done(1)}, false).first, "");
  EXPECT_NE(feed({error(), result(instar::guest::CONVERT_DONE), done(0)}, false).first, "");
  EXPECT_NE(feed({error(), result(instar::guest::CONVERT_OPEN_FAILED, 1), done(1)}, false).first,
            "");  // only one input
}

TEST(ConvertReport, HostileProgressIsRefused) {
  const GuestMessage ok_end[] = {result(instar::guest::CONVERT_DONE), done(0)};
  const std::vector<std::vector<GuestMessage>> hostile = {
      {progress(1, 10)},                   // progress the host did not ask for (below)
      {progress(5, 10), progress(5, 10)},  // not advancing
      {progress(5, 10), progress(6, 11)},  // total changed
      {progress(11, 10)},                  // beyond its total
      {progress(0, 0)},                    // empty
      {progress(5, 10)},                   // done before the progress was complete
  };
  for (size_t i = 0; i < hostile.size(); ++i) {
    std::vector<GuestMessage> messages = hostile[i];
    messages.insert(messages.end(), std::begin(ok_end), std::end(ok_end));
    EXPECT_NE(feed(messages, i != 0).first, "") << i;
  }
  EXPECT_NE(feed({result(instar::guest::CONVERT_DONE), done(0), progress(1, 1)}, true).first, "");
  EXPECT_NE(feed({result(instar::guest::CONVERT_DONE), done(1)}, true).first, "");
  EXPECT_NE(feed({result(instar::guest::CONVERT_DONE)}, true).first, "");
}

GuestMessage salvaged(instar::guest::SalvageKind kind, uint32_t input, uint64_t offset,
                      instar::guest::ErrorCode code, bool event) {
  GuestMessage m;
  instar::guest::ConvertSalvaged* s = m.mutable_convert_salvaged();
  s->set_kind(kind);
  s->set_input(input);
  s->set_offset(offset);
  s->set_code(code);
  if (code == instar::guest::ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED) {
    s->add_args(0x40200);
    s->add_args(0);
  }
  s->set_corruption_event(event);
  return m;
}

// Feeds `messages` with --salvage asked for (or not); returns the refusal and the offsets the
// host was handed.
std::pair<std::string, std::vector<uint64_t>> feed_salvage(std::vector<GuestMessage> messages,
                                                           bool want_salvage) {
  std::vector<uint64_t> seen;
  ConvertSequence::SalvageCallback on_salvaged;
  if (want_salvage) {
    on_salvaged = [&seen](const instar::guest::ConvertSalvaged& s) { seen.push_back(s.offset()); };
  }
  ConvertSequence sequence(
      2, false, [](uint64_t, uint64_t) {}, on_salvaged);
  return {feed_all(sequence, messages), seen};
}

TEST(ConvertReport, SalvagedSectorsComeBeforeTheResult) {
  using namespace instar::guest;
  const auto [why, seen] = feed_salvage(
      {salvaged(SALVAGE_BLOCK_STATUS, 0, 0, ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED, true),
       salvaged(SALVAGE_READ, 0, 512, ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED, false),
       salvaged(SALVAGE_READ, 1, 0, ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED, true),
       result(CONVERT_DONE), done(0)},
      true);
  EXPECT_EQ(why, "");
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 512, 0}));
}

TEST(ConvertReport, HostileSalvagedSectorsAreRefused) {
  using namespace instar::guest;
  const GuestMessage ok_end[] = {result(CONVERT_DONE), done(0)};
  const std::vector<std::vector<GuestMessage>> hostile = {
      {salvaged(SALVAGE_READ, 0, 0, ERROR_IO, false)},              // not asked for (below)
      {salvaged(SALVAGE_KIND_UNSPECIFIED, 0, 0, ERROR_IO, false)},  // no kind
      {salvaged(SALVAGE_READ, 2, 0, ERROR_IO, false)},              // no such input
      {salvaged(SALVAGE_READ, 0, 0, ERROR_NONE, false)},            // no error
      {salvaged(SALVAGE_READ, 0, 0, ERROR_IO, true)},               // an event without a line
      {salvaged(SALVAGE_READ, 0, 0, ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED, true),
       salvaged(SALVAGE_READ, 0, 0, ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED, true)},  // twice
  };
  for (size_t i = 0; i < hostile.size(); ++i) {
    std::vector<GuestMessage> messages = hostile[i];
    messages.insert(messages.end(), std::begin(ok_end), std::end(ok_end));
    EXPECT_NE(feed_salvage(messages, i != 0).first, "") << i;
  }
  // After the result nothing more comes.
  EXPECT_NE(
      feed_salvage({result(CONVERT_DONE), salvaged(SALVAGE_READ, 0, 0, ERROR_IO, false), done(0)},
                   true)
          .first,
      "");
}

}  // namespace
}  // namespace instar::channel
