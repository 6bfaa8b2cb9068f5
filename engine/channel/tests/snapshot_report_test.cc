// snapshot_report_test.cc: the snapshot message contract refuses what a correct guest never sends.
#include "engine/channel/snapshot_report.h"

#include <gtest/gtest.h>

namespace instar::channel {
namespace {

using guest::GuestMessage;

GuestMessage result(guest::SnapshotKind kind, guest::Format format, uint64_t file_length,
                    uint32_t error_number = 0) {
  GuestMessage m;
  auto* r = m.mutable_snapshot_result();
  r->set_kind(kind);
  r->set_format(format);
  r->set_file_length(file_length);
  r->set_error_number(error_number);
  return m;
}

GuestMessage done(int status) {
  GuestMessage m;
  m.mutable_done()->set_status(status);
  return m;
}

GuestMessage error() {
  GuestMessage m;
  m.mutable_error()->set_code(guest::ERROR_SNAPSHOT_DELETE_NOT_IN_LIST);
  return m;
}

SnapshotReportResult assemble(std::vector<GuestMessage> messages) {
  return assemble_snapshot_report(std::move(messages), 1 << 20);
}

TEST(SnapshotReportTest, AcceptsTheContract) {
  auto r = assemble({result(guest::SNAPSHOT_DONE, guest::FORMAT_QCOW2, 4096), done(0)});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(r.report.result.file_length(), 4096u);
  r = assemble({error(), result(guest::SNAPSHOT_FAILED, guest::FORMAT_QCOW2, 0), done(1)});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  r = assemble({result(guest::SNAPSHOT_CREATE_FAILED, guest::FORMAT_QCOW2, 0, 22), done(1)});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  r = assemble({result(guest::SNAPSHOT_NOT_SUPPORTED, guest::FORMAT_VMDK, 0), done(1)});
  ASSERT_TRUE(r.ok) << r.protocol_error;
}

TEST(SnapshotReportTest, RefusesWhatNoCorrectGuestSends) {
  // A file longer than the device the host bounded.
  EXPECT_FALSE(
      assemble({result(guest::SNAPSHOT_DONE, guest::FORMAT_QCOW2, (1 << 20) + 1), done(0)}).ok);
  // "No internal snapshots" for qcow2, which has them.
  EXPECT_FALSE(
      assemble({result(guest::SNAPSHOT_NOT_SUPPORTED, guest::FORMAT_QCOW2, 0), done(1)}).ok);
  // A create failure without an errno, or with one no strerror knows.
  EXPECT_FALSE(
      assemble({result(guest::SNAPSHOT_CREATE_FAILED, guest::FORMAT_QCOW2, 0), done(1)}).ok);
  EXPECT_FALSE(
      assemble({result(guest::SNAPSHOT_CREATE_FAILED, guest::FORMAT_QCOW2, 0, 5000), done(1)}).ok);
  // A failure without its Error, an Error with a success, a wrong Done status.
  EXPECT_FALSE(assemble({result(guest::SNAPSHOT_FAILED, guest::FORMAT_QCOW2, 0), done(1)}).ok);
  EXPECT_FALSE(
      assemble({error(), result(guest::SNAPSHOT_DONE, guest::FORMAT_QCOW2, 0), done(0)}).ok);
  EXPECT_FALSE(assemble({result(guest::SNAPSHOT_DONE, guest::FORMAT_QCOW2, 0), done(1)}).ok);
  EXPECT_FALSE(assemble({result(guest::SNAPSHOT_KIND_UNSPECIFIED, guest::FORMAT_RAW, 0)}).ok);
}

}  // namespace
}  // namespace instar::channel
