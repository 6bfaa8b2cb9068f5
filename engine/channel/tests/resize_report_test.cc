// resize_report_test.cc: the resize message contract refuses what a correct guest never sends.
#include "engine/channel/resize_report.h"

#include <gtest/gtest.h>

namespace instar::channel {
namespace {

using guest::GuestMessage;

GuestMessage result(guest::ResizeKind kind, guest::Format format, uint64_t file_length) {
  GuestMessage m;
  auto* r = m.mutable_resize_result();
  r->set_kind(kind);
  r->set_format(format);
  r->set_file_length(file_length);
  return m;
}

GuestMessage done(int status) {
  GuestMessage m;
  m.mutable_done()->set_status(status);
  return m;
}

GuestMessage error() {
  GuestMessage m;
  m.mutable_error()->set_code(guest::ERROR_RESIZE_UNALIGNED);
  return m;
}

TEST(ResizeReportTest, AcceptsTheContract) {
  auto r = assemble_resize_report({result(guest::RESIZE_DONE, guest::FORMAT_QCOW2, 4096), done(0)},
                                  1 << 20);
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(r.report.result.file_length(), 4096u);
  r = assemble_resize_report(
      {error(), result(guest::RESIZE_FAILED, guest::FORMAT_QCOW2, 0), done(1)}, 1 << 20);
  ASSERT_TRUE(r.ok) << r.protocol_error;
  r = assemble_resize_report({result(guest::RESIZE_NEEDS_SHRINK, guest::FORMAT_RAW, 0), done(1)},
                             1 << 20);
  ASSERT_TRUE(r.ok) << r.protocol_error;
}

TEST(ResizeReportTest, RefusesWhatNoCorrectGuestSends) {
  // A file longer than the device the host bounded.
  EXPECT_FALSE(
      assemble_resize_report(
          {result(guest::RESIZE_DONE, guest::FORMAT_QCOW2, (1 << 20) + 1), done(0)}, 1 << 20)
          .ok);
  // A raw truncation for an image the guest called qcow2.
  EXPECT_FALSE(
      assemble_resize_report({result(guest::RESIZE_RAW, guest::FORMAT_QCOW2, 0), done(0)}, 1 << 20)
          .ok);
  // A failure without its Error, an Error with a success, a wrong Done status.
  EXPECT_FALSE(
      assemble_resize_report({result(guest::RESIZE_FAILED, guest::FORMAT_QCOW2, 0), done(1)}, 1)
          .ok);
  EXPECT_FALSE(assemble_resize_report(
                   {error(), result(guest::RESIZE_DONE, guest::FORMAT_QCOW2, 0), done(0)}, 1)
                   .ok);
  EXPECT_FALSE(
      assemble_resize_report({result(guest::RESIZE_DONE, guest::FORMAT_QCOW2, 0), done(1)}, 1).ok);
  EXPECT_FALSE(
      assemble_resize_report({result(guest::RESIZE_KIND_UNSPECIFIED, guest::FORMAT_RAW, 0)}, 1).ok);
}

}  // namespace
}  // namespace instar::channel
