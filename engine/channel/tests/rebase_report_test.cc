// rebase_report_test.cc: the rebase message contract refuses what a correct guest never sends.
#include "engine/channel/rebase_report.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace instar::channel {
namespace {

using guest::GuestMessage;

GuestMessage result(guest::RebaseKind kind, guest::Format format, uint32_t change_errno = 0) {
  GuestMessage m;
  auto* r = m.mutable_rebase_result();
  r->set_kind(kind);
  r->set_format(format);
  r->set_change_errno(change_errno);
  return m;
}

GuestMessage done(int status) {
  GuestMessage m;
  m.mutable_done()->set_status(status);
  return m;
}

GuestMessage error() {
  GuestMessage m;
  m.mutable_error()->set_code(guest::ERROR_REBASE_UNSUPPORTED);
  return m;
}

TEST(RebaseReportTest, AcceptsTheContract) {
  auto r = assemble_rebase_report({result(guest::REBASE_DONE, guest::FORMAT_QCOW2), done(0)});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  r = assemble_rebase_report({result(guest::REBASE_OPENED, guest::FORMAT_RAW), done(0)});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  r = assemble_rebase_report(
      {result(guest::REBASE_CHANGE_FAILED, guest::FORMAT_RAW, ENOTSUP), done(1)});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(r.report.result.change_errno(), static_cast<uint32_t>(ENOTSUP));
  r = assemble_rebase_report({error(), result(guest::REBASE_FAILED, guest::FORMAT_QCOW2), done(1)});
  ASSERT_TRUE(r.ok) << r.protocol_error;
}

TEST(RebaseReportTest, RefusesWhatNoCorrectGuestSends) {
  // A change of an image that is not qcow2.
  EXPECT_FALSE(assemble_rebase_report({result(guest::REBASE_DONE, guest::FORMAT_RAW), done(0)}).ok);
  // A change failure without an errno, with one the guest never gives, an errno on success.
  EXPECT_FALSE(
      assemble_rebase_report({result(guest::REBASE_CHANGE_FAILED, guest::FORMAT_QCOW2), done(1)})
          .ok);
  EXPECT_FALSE(assemble_rebase_report(
                   {result(guest::REBASE_CHANGE_FAILED, guest::FORMAT_QCOW2, EPERM), done(1)})
                   .ok);
  EXPECT_FALSE(
      assemble_rebase_report({result(guest::REBASE_DONE, guest::FORMAT_QCOW2, EIO), done(0)}).ok);
  // A failure without its Error, an Error with a success, a wrong Done status.
  EXPECT_FALSE(
      assemble_rebase_report({result(guest::REBASE_FAILED, guest::FORMAT_QCOW2), done(1)}).ok);
  EXPECT_FALSE(
      assemble_rebase_report({error(), result(guest::REBASE_DONE, guest::FORMAT_QCOW2), done(0)})
          .ok);
  EXPECT_FALSE(
      assemble_rebase_report({result(guest::REBASE_DONE, guest::FORMAT_QCOW2), done(1)}).ok);
  EXPECT_FALSE(
      assemble_rebase_report({result(guest::REBASE_KIND_UNSPECIFIED, guest::FORMAT_QCOW2), done(1)})
          .ok);
}

}  // namespace
}  // namespace instar::channel
