// compare_report_test.cc: the compare message sequence contract, including hostile orderings.
#include "engine/channel/compare_report.h"

#include <gtest/gtest.h>

#include <vector>

namespace instar::channel {
namespace {

using instar::guest::GuestMessage;

GuestMessage result(instar::guest::CompareKind kind, uint64_t offset = 0, uint32_t image = 0,
                    bool size_mismatch = false) {
  GuestMessage m;
  m.mutable_compare_result()->set_kind(kind);
  m.mutable_compare_result()->set_offset(offset);
  m.mutable_compare_result()->set_image(image);
  m.mutable_compare_result()->set_size_mismatch(size_mismatch);
  return m;
}
GuestMessage error() {
  GuestMessage m;
  m.mutable_error()->set_code(instar::guest::ERROR_CORRUPT_CLUSTER_OFFSET_UNALIGNED);
  return m;
}
GuestMessage done(int32_t status) {
  GuestMessage m;
  m.mutable_done()->set_status(status);
  return m;
}

TEST(CompareReport, Results) {
  auto r = assemble_compare_report(
      {result(instar::guest::COMPARE_CONTENT_MISMATCH, 3158016, 0, true), done(0)}, true);
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(r.report.result.offset(), 3158016u);
  EXPECT_TRUE(r.report.result.size_mismatch());
  EXPECT_FALSE(r.report.error);
  r = assemble_compare_report(
      {error(), result(instar::guest::COMPARE_STATUS_FAILED, 0, 1), done(1)}, true);
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(r.report.result.image(), 1u);
  ASSERT_TRUE(r.report.error);
}

TEST(CompareReport, FirstImageOnly) {
  EXPECT_TRUE(
      assemble_compare_report({result(instar::guest::COMPARE_FIRST_OPENED), done(0)}, false).ok);
  EXPECT_TRUE(assemble_compare_report(
                  {error(), result(instar::guest::COMPARE_OPEN_FAILED, 0, 0), done(1)}, false)
                  .ok);
  // Nothing about a second image when none was given, and no early stop when one was.
  EXPECT_FALSE(assemble_compare_report(
                   {error(), result(instar::guest::COMPARE_OPEN_FAILED, 0, 1), done(1)}, false)
                   .ok);
  EXPECT_FALSE(
      assemble_compare_report({result(instar::guest::COMPARE_IDENTICAL), done(0)}, false).ok);
  EXPECT_FALSE(
      assemble_compare_report({result(instar::guest::COMPARE_FIRST_OPENED), done(0)}, true).ok);
}

TEST(CompareReport, RejectsBadSequences) {
  const std::vector<std::vector<GuestMessage>> bad = {
      {},
      {done(0)},
      {result(instar::guest::COMPARE_IDENTICAL)},
      {result(instar::guest::COMPARE_IDENTICAL), done(1)},
      {result(instar::guest::COMPARE_IDENTICAL), done(0), done(0)},
      {error(), result(instar::guest::COMPARE_IDENTICAL), done(0)},
      {result(instar::guest::COMPARE_READ_FAILED), done(1)},
      {error(), result(instar::guest::COMPARE_READ_FAILED, 0, 2), done(1)},
      {result(instar::guest::COMPARE_KIND_UNSPECIFIED), done(0)},
      {result(static_cast<instar::guest::CompareKind>(99)), done(0)},
      {result(instar::guest::COMPARE_STRICT_SIZE_MISMATCH, 0, 0, true), done(0)},
      {error(), error(), result(instar::guest::COMPARE_OPEN_FAILED), done(1)},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(assemble_compare_report(bad[i], true).ok) << "case " << i;
  }
}

}  // namespace
}  // namespace instar::channel
