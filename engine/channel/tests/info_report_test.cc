// info_report_test.cc: the info message sequence contract, including hostile orderings.
#include "engine/channel/info_report.h"

#include <gtest/gtest.h>

namespace instar::channel {
namespace {

using instar::guest::GuestMessage;

GuestMessage info(uint32_t snapshots, uint32_t bitmaps) {
  GuestMessage m;
  m.mutable_info()->set_format(instar::guest::FORMAT_QCOW2);
  m.mutable_info()->mutable_qcow2()->set_nb_snapshots(snapshots);
  m.mutable_info()->mutable_qcow2()->set_nb_bitmaps(bitmaps);
  return m;
}
GuestMessage snapshot(const char* id) {
  GuestMessage m;
  m.mutable_snapshot()->set_id(id);
  return m;
}
GuestMessage bitmap() {
  GuestMessage m;
  m.mutable_bitmap()->set_name("b");
  return m;
}
GuestMessage error() {
  GuestMessage m;
  m.mutable_error()->set_code(instar::guest::ERROR_HEADER_TOO_SHORT);
  return m;
}
GuestMessage done() {
  GuestMessage m;
  m.mutable_done();
  return m;
}

TEST(InfoReportTest, AssemblesInfoSnapshotsAndBitmaps) {
  InfoReportResult r =
      assemble_info_report({info(2, 1), snapshot("1"), snapshot("2"), bitmap(), done()});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(r.report.snapshots.size(), 2u);
  EXPECT_EQ(r.report.snapshots[1].id(), "2");
  EXPECT_EQ(r.report.bitmaps.size(), 1u);
  EXPECT_FALSE(r.report.error.has_value());
}

TEST(InfoReportTest, AcceptsAnErrorAlone) {
  InfoReportResult r = assemble_info_report({error(), done()});
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.report.error.has_value());
}

TEST(InfoReportTest, AcceptsALateError) {
  InfoReportResult r = assemble_info_report({info(2, 0), snapshot("1"), error(), done()});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_TRUE(r.report.error.has_value());
  EXPECT_EQ(r.report.snapshots.size(), 1u);
}

TEST(InfoReportTest, RefusesBrokenSequences) {
  EXPECT_FALSE(assemble_info_report({}).ok);
  EXPECT_FALSE(assemble_info_report({done()}).ok);
  EXPECT_FALSE(assemble_info_report({info(0, 0)}).ok) << "no Done";
  EXPECT_FALSE(assemble_info_report({info(1, 0), done()}).ok) << "missing snapshot";
  EXPECT_FALSE(assemble_info_report({info(0, 0), done(), done()}).ok) << "trailing message";
  EXPECT_FALSE(assemble_info_report({info(1, 0), bitmap(), done()}).ok) << "wrong kind";
  EXPECT_FALSE(assemble_info_report({info(0xffffffff, 0xffffffff), done()}).ok) << "huge counts";
  EXPECT_FALSE(assemble_info_report({error(), error(), done()}).ok) << "a second error";
  EXPECT_FALSE(assemble_info_report({info(0, 0), error(), error(), done()}).ok);
}

// The budget ImageInfo announces is capped at qemu's own limits before a single entry arrives.
TEST(InfoReportTest, RefusesAnnouncementsBeyondQemusLimits) {
  InfoSequence at_limit;
  GuestMessage m = info(InfoSequence::kMaxSnapshots, InfoSequence::kMaxBitmaps);
  EXPECT_EQ(at_limit.accept(m), "");
  InfoSequence snapshots;
  m = info(InfoSequence::kMaxSnapshots + 1, 0);
  EXPECT_EQ(snapshots.accept(m), "guest announced too many snapshots");
  InfoSequence bitmaps;
  m = info(0, InfoSequence::kMaxBitmaps + 1);
  EXPECT_EQ(bitmaps.accept(m), "guest announced too many bitmaps");
}

}  // namespace
}  // namespace instar::channel
