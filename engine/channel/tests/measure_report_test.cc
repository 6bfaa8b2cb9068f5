// measure_report_test.cc: the measure message contract refuses what a correct guest never sends.
#include "engine/channel/measure_report.h"

#include <gtest/gtest.h>

namespace instar::channel {
namespace {

using guest::GuestMessage;

GuestMessage result(guest::MeasureKind kind, uint64_t length, uint64_t data, bool bitmaps,
                    uint64_t bitmaps_size) {
  GuestMessage m;
  auto* r = m.mutable_measure_result();
  r->set_kind(kind);
  r->set_length(length);
  r->set_data_bytes(data);
  r->set_supports_bitmaps(bitmaps);
  r->set_bitmaps_size(bitmaps_size);
  return m;
}

GuestMessage done(int status) {
  GuestMessage m;
  m.mutable_done()->set_status(status);
  return m;
}

GuestMessage error() {
  GuestMessage m;
  m.mutable_error()->set_code(guest::ERROR_NOT_QCOW2);
  return m;
}

TEST(MeasureReportTest, AcceptsTheContract) {
  auto r = assemble_measure_report(
      {result(guest::MEASURE_MEASURED, 1000, 65536, true, 131072), done(0)}, 65536);
  ASSERT_TRUE(r.ok) << r.protocol_error;
  EXPECT_EQ(r.report.result.data_bytes(), 65536u);
  r = assemble_measure_report(
      {error(), result(guest::MEASURE_OPEN_FAILED, 0, 0, false, 0), done(1)}, 65536);
  ASSERT_TRUE(r.ok) << r.protocol_error;
  r = assemble_measure_report({result(guest::MEASURE_MEASURED, 1000, 0, false, 0), done(0)}, 0);
  ASSERT_TRUE(r.ok) << r.protocol_error;
}

TEST(MeasureReportTest, RefusesImpossibleFigures) {
  const auto refused = [](std::vector<GuestMessage> m, uint64_t cs) {
    return !assemble_measure_report(std::move(m), cs).ok;
  };
  // More data than the image's clusters, partial clusters, figures for a raw target.
  EXPECT_TRUE(refused({result(guest::MEASURE_MEASURED, 1000, 131072, false, 0), done(0)}, 65536));
  EXPECT_TRUE(refused({result(guest::MEASURE_MEASURED, 1 << 20, 512, false, 0), done(0)}, 65536));
  EXPECT_TRUE(refused({result(guest::MEASURE_MEASURED, 1000, 0, true, 0), done(0)}, 0));
  EXPECT_TRUE(refused({result(guest::MEASURE_MEASURED, 1000, 0, false, 65536), done(0)}, 65536));
  // Error without a failure kind, failure without an Error or with figures, bad Done.
  EXPECT_TRUE(refused({error(), result(guest::MEASURE_MEASURED, 0, 0, false, 0), done(1)}, 512));
  EXPECT_TRUE(refused({result(guest::MEASURE_OPEN_FAILED, 0, 0, false, 0), done(1)}, 512));
  EXPECT_TRUE(
      refused({error(), result(guest::MEASURE_STATUS_FAILED, 512, 0, false, 0), done(1)}, 512));
  EXPECT_TRUE(refused({result(guest::MEASURE_MEASURED, 0, 0, false, 0), done(1)}, 512));
  EXPECT_TRUE(refused({result(guest::MEASURE_MEASURED, 0, 0, false, 0)}, 512));
  EXPECT_TRUE(refused({result(guest::MEASURE_KIND_UNSPECIFIED, 0, 0, false, 0), done(0)}, 512));
}

}  // namespace
}  // namespace instar::channel
