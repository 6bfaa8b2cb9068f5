// check_report_test.cc: the check message sequence contract, accepted and refused shapes.
#include "engine/channel/check_report.h"

#include <gtest/gtest.h>

namespace instar::channel {
namespace {

using instar::guest::GuestMessage;

uint64_t leaked_line() {
  return instar::guest::CHECK_LINE_CLUSTER_LEAKED;
}
// CHECK_LINE_CLUSTER_LEAKED lines for the clusters in `clusters` (refcount 1, reference 0).
GuestMessage diagnostics(std::initializer_list<uint64_t> clusters) {
  GuestMessage m;
  for (uint64_t c : clusters) {
    for (uint64_t w : {leaked_line(), c, uint64_t{1}, uint64_t{0}}) {
      m.mutable_check_diagnostics()->add_words(w);
    }
  }
  return m;
}
GuestMessage words(std::initializer_list<uint64_t> words) {
  GuestMessage m;
  for (uint64_t w : words) m.mutable_check_diagnostics()->add_words(w);
  return m;
}
std::string text(const CheckReport& report) {
  std::string out;
  report.diagnostics.Render([&out](std::string_view line) { out += line; });
  return out;
}
GuestMessage result(instar::guest::Format format, uint64_t leaks = 0) {
  GuestMessage m;
  m.mutable_check_result()->set_format(format);
  m.mutable_check_result()->set_leaks(leaks);
  return m;
}
GuestMessage done() {
  GuestMessage m;
  m.mutable_done()->set_status(0);
  return m;
}

TEST(CheckReport, DiagnosticsThenResult) {
  const auto r = assemble_check_report(
      {diagnostics({1}), diagnostics({2, 3}), result(instar::guest::FORMAT_QCOW2, 2), done()});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(text(r.report),
            "Leaked cluster 1 refcount=1 reference=0\nLeaked cluster 2 refcount=1 reference=0\n"
            "Leaked cluster 3 refcount=1 reference=0\n");
  EXPECT_EQ(r.report.result->leaks(), 2u);
}

TEST(CheckReport, OpenError) {
  GuestMessage error;
  error.mutable_error()->set_code(instar::guest::ERROR_HEADER_TOO_SHORT);
  const auto r = assemble_check_report({error, done()});
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.report.error.has_value());
  EXPECT_FALSE(r.report.result.has_value());
}

// check -r refuses a repair it does not make after the lines that found it; no other error may
// follow diagnostics.
TEST(CheckReport, RepairRefusalAfterDiagnostics) {
  GuestMessage refusal;
  refusal.mutable_error()->set_code(instar::guest::ERROR_CHECK_REPAIR_UNSUPPORTED);
  refusal.mutable_error()->add_args(5);
  const auto r = assemble_check_report({diagnostics({1}), refusal, done()});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(r.report.error->code(), instar::guest::ERROR_CHECK_REPAIR_UNSUPPORTED);
  GuestMessage other;
  other.mutable_error()->set_code(instar::guest::ERROR_HEADER_TOO_SHORT);
  EXPECT_FALSE(assemble_check_report({diagnostics({1}), other, done()}).ok);
}

TEST(CheckReport, RefusesBadSequences) {
  using F = instar::guest::Format;
  const std::vector<std::vector<GuestMessage>> bad = {
      {},
      {done()},
      {words({leaked_line(), 1, 1}), result(F::FORMAT_QCOW2), done()},  // a number short
      {words({}), result(F::FORMAT_QCOW2), done()},
      {words({9999}), result(F::FORMAT_QCOW2), done()},  // no template: never printed as text
      {words({0}), result(F::FORMAT_QCOW2), done()},
      {result(F::FORMAT_QCOW2)},
      {result(F::FORMAT_QCOW2), done(), done()},
      {result(F::FORMAT_UNKNOWN), done()},
      {result(F::FORMAT_RAW, 1), done()},  // raw carries no counters
      {diagnostics({1}), result(F::FORMAT_RAW), done()},
      {result(F::FORMAT_QCOW2), diagnostics({1}), done()},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(assemble_check_report(bad[i]).ok) << "case " << i;
  }
}

// A snapshot table read error travels as a code the host renders; only the codes
// qcow2_do_read_snapshots() can end a check with, and only with the fault that says so.
TEST(CheckReport, SnapshotTableReadErrors) {
  using instar::guest::ErrorCode;
  auto read_failed = [](instar::guest::SnapshotTableFault fault, ErrorCode code) {
    GuestMessage m = result(instar::guest::FORMAT_QCOW2);
    m.mutable_check_result()->set_snapshot_table_fault(fault);
    m.mutable_check_result()->set_snapshot_read_error(code);
    m.mutable_check_result()->set_error_number(27);
    return assemble_check_report({m, done()}).ok;
  };
  const auto kRead = instar::guest::SNAPSHOT_TABLE_READ_FAILED;
  EXPECT_TRUE(read_failed(kRead, instar::guest::ERROR_SNAPSHOT_EXTRA_TOO_LARGE));
  EXPECT_TRUE(read_failed(kRead, instar::guest::ERROR_SNAPSHOT_TABLE_TOO_BIG));
  EXPECT_TRUE(read_failed(kRead, instar::guest::ERROR_IO));
  EXPECT_FALSE(read_failed(kRead, instar::guest::ERROR_NONE));
  EXPECT_FALSE(read_failed(kRead, instar::guest::ERROR_HEADER_TOO_SHORT));
  EXPECT_FALSE(
      read_failed(instar::guest::SNAPSHOT_TABLE_OK, instar::guest::ERROR_SNAPSHOT_TABLE_TOO_BIG));
}

}  // namespace
}  // namespace instar::channel
