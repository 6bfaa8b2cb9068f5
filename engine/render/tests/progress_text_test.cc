// progress_text_test.cc: qemu_progress_print()'s lines for convert -p, as qemu-img 7.2 prints them.
#include "engine/render/progress_text.h"

#include <gtest/gtest.h>

#include <string>

namespace instar::render {
namespace {

// convert_co_do_copy's calls for chunks of `done` sectors out of `total`, as the host makes them.
std::string convert_lines(std::initializer_list<double> done, double total) {
  QemuProgress p(true, 1.0f);
  std::string out = p.print(0, 100);
  for (double d : done) out += p.print(static_cast<float>(100.0 * d / total), 0);
  out += p.print(100, 0);
  return out + p.end();
}

TEST(QemuProgress, ConvertLinesMeasuredWithQemuImg) {
  // `qemu-img convert -p` of an 8 MiB qcow2 with 1 MiB and 64 KiB of data.
  EXPECT_EQ(convert_lines({2048, 2176}, 2176),
            "    (0.00/100%)\r    (94.12/100%)\r    (100.00/100%)\r    (100.00/100%)\r\n");
  // Nothing allocated: only the first and the final lines.
  EXPECT_EQ(convert_lines({}, 1), "    (0.00/100%)\r    (100.00/100%)\r\n");
}

TEST(QemuProgress, AdvancesOfOnePercentOrLessAreNotPrinted) {
  QemuProgress p(true, 1.0f);
  EXPECT_EQ(p.print(0, 100), "    (0.00/100%)\r");
  EXPECT_EQ(p.print(1.0f, 0), "");  // not above last + 1.0
  EXPECT_EQ(p.print(1.5f, 0), "    (1.50/100%)\r");
  EXPECT_EQ(p.print(250, 0), "    (100.00/100%)\r");  // capped
  QemuProgress quiet(false, 1.0f);
  EXPECT_EQ(quiet.print(50, 0), "");
  EXPECT_EQ(quiet.end(), "");
}

}  // namespace
}  // namespace instar::render
