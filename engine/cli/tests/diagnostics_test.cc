// diagnostics_test.cc: the invocation name decides the message prefix.
#include "engine/cli/diagnostics.h"

#include <gtest/gtest.h>

namespace instar::cli {
namespace {

TEST(DiagnosticsTest, UsageErrorAddsTryLine) {
  testing::internal::CaptureStderr();
  const int rc = Diagnostics("qemu-img").usage_error("Expecting one image file name");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "qemu-img: Expecting one image file name\n"
            "Try 'qemu-img --help' for more information\n");
}

}  // namespace
}  // namespace instar::cli
