// check_report_test.cc: the check message sequence contract, accepted and refused shapes.
#include "engine/channel/check_report.h"

#include <gtest/gtest.h>

namespace instar::channel {
namespace {

using instar::guest::GuestMessage;

GuestMessage diagnostics(const std::string& text) {
  GuestMessage m;
  m.mutable_check_diagnostics()->set_text(text);
  return m;
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
      {diagnostics("a\n"), diagnostics("b\nc\n"), result(instar::guest::FORMAT_QCOW2, 2), done()});
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(r.report.diagnostics, "a\nb\nc\n");
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

TEST(CheckReport, RefusesBadSequences) {
  using F = instar::guest::Format;
  const std::vector<std::vector<GuestMessage>> bad = {
      {},
      {done()},
      {diagnostics("no newline"), result(F::FORMAT_QCOW2), done()},
      {diagnostics(""), result(F::FORMAT_QCOW2), done()},
      {result(F::FORMAT_QCOW2)},
      {result(F::FORMAT_QCOW2), done(), done()},
      {result(F::FORMAT_UNKNOWN), done()},
      {result(F::FORMAT_RAW, 1), done()},  // raw carries no counters
      {diagnostics("x\n"), result(F::FORMAT_RAW), done()},
      {result(F::FORMAT_QCOW2), diagnostics("late\n"), done()},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_FALSE(assemble_check_report(bad[i]).ok) << "case " << i;
  }
}

}  // namespace
}  // namespace instar::channel
