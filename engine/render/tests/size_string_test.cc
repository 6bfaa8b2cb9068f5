// size_to_str(): the reference's examples and a live comparison with qemu-img's virtual size.
#include "engine/render/size_string.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/render/tests/live_support.h"

namespace instar::render {
namespace {

TEST(SizeToStr, ReferenceExamples) {
  EXPECT_EQ(SizeToStr(0), "0 B");
  EXPECT_EQ(SizeToStr(512), "512 B");
  EXPECT_EQ(SizeToStr(1000), "0.977 KiB");
  EXPECT_EQ(SizeToStr(1024), "1 KiB");
  EXPECT_EQ(SizeToStr(1536), "1.5 KiB");
  EXPECT_EQ(SizeToStr(500 * 1024), "500 KiB");
  EXPECT_EQ(SizeToStr(200704), "196 KiB");
  EXPECT_EQ(SizeToStr(1024000), "0.977 MiB");
  EXPECT_EQ(SizeToStr(1047552), "0.999 MiB");
  EXPECT_EQ(SizeToStr(1023488), "1e+03 KiB");  // %0.3g of 999.5
  EXPECT_EQ(SizeToStr(1048064), "1 MiB");      // rounds
  EXPECT_EQ(SizeToStr(1048576), "1 MiB");
  EXPECT_EQ(SizeToStr(16777216), "16 MiB");
  EXPECT_EQ(SizeToStr(2293760), "2.19 MiB");
  EXPECT_EQ(SizeToStr(123456789ULL * 512), "58.9 GiB");
  EXPECT_EQ(SizeToStr(1000ULL << 30), "0.977 TiB");
  EXPECT_EQ(SizeToStr(1ULL << 50), "1 PiB");
  EXPECT_EQ(SizeToStr(1ULL << 60), "1 EiB");
  EXPECT_EQ(SizeToStr(UINT64_MAX), "16 EiB");
}

// Every size of size_to_str.py --verify that fits a sparse raw file here, plus some more, against
// `qemu-img info -f raw` of a truncated file.
TEST(SizeToStr, MatchesLiveQemuImg) {
  const auto qemu_img = live::FindQemuImg();
  if (!qemu_img) GTEST_SKIP() << "qemu-img not installed";
  live::ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string file = dir.path() + "/s.raw";
  const std::vector<unsigned long long> sizes = {0,
                                                 512,
                                                 1024,
                                                 1536,
                                                 1000 * 512,
                                                 1023 * 1024,
                                                 1000 * 1024,
                                                 1024 * 1000 - 512,
                                                 1024 * 1024 - 512,
                                                 1048576,
                                                 1048576 + 512,
                                                 10 * 1048576 + 5 * 1024,
                                                 999 * 1048576ULL,
                                                 1000 * 1048576ULL,
                                                 1023 * 1048576ULL + 512 * 1024,
                                                 1ULL << 30,
                                                 (1ULL << 30) * 3 / 2,
                                                 1000ULL << 30,
                                                 1023ULL << 30,
                                                 1ULL << 40,
                                                 123456789ULL * 512,
                                                 16781312,
                                                 1023ULL * 1024 * 1024 + 1023 * 1024,
                                                 (1ULL << 30) - 2 * 1024 * 1024,
                                                 1023488,
                                                 1048064,
                                                 999424,
                                                 1022976,
                                                 5000ULL << 30};
  for (unsigned long long size : sizes) {
    const auto trunc =
        live::RunShell("truncate -s " + std::to_string(size) + " " + live::ShellQuote(file));
    ASSERT_EQ(trunc.status, 0);
    const auto r = live::RunShell(*qemu_img + " info -f raw " + live::ShellQuote(file));
    ASSERT_EQ(r.status, 0) << size;
    const std::string want =
        "virtual size: " + SizeToStr(size) + " (" + std::to_string(size) + " bytes)\n";
    EXPECT_NE(r.out.find(want), std::string::npos) << "size " << size << ":\n" << r.out;
  }
}

}  // namespace
}  // namespace instar::render
