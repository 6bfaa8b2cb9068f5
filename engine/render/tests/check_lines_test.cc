// check_lines_test.cc: check lines are rendered from the host's templates only; codes and
// arities are validated as lines are appended.
#include "engine/render/check_lines.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "guest/abi/guest.pb.h"

namespace instar::render {
namespace {

uint64_t Code(const char* name) {
  guest::CheckLine code{};
  EXPECT_TRUE(guest::CheckLine_Parse(name, &code)) << name;
  return static_cast<uint64_t>(code);
}

std::string Text(const CheckLines& lines) {
  std::string out;
  lines.Render([&out](std::string_view line) { out += line; });
  return out;
}

TEST(CheckLines, EveryCodeHasATemplate) {
  for (int i = guest::CheckLine_MIN + 1; i <= guest::CheckLine_MAX; ++i) {
    if (!guest::CheckLine_IsValid(i)) continue;
    EXPECT_GE(CheckLineArity(static_cast<uint64_t>(i)), 0) << guest::CheckLine_Name(i);
    EXPECT_LE(CheckLineArity(static_cast<uint64_t>(i)), 4) << guest::CheckLine_Name(i);
  }
  EXPECT_EQ(CheckLineArity(0), -1) << "CHECK_LINE_UNSPECIFIED is no line";
  EXPECT_EQ(CheckLineArity(guest::CheckLine_MAX + 1), -1);
}

// vhdx's error_report() lines: the program prefix, and "%.lu" printing nothing for 0.
TEST(CheckLines, RendersVhdxReportLines) {
  CheckLines lines;
  const std::vector<uint64_t> words = {
      Code("CHECK_LINE_VHDX_REGION_OVERLAP"),
      1,
      2,
      3,
      0,
      Code("CHECK_LINE_VHDX_REGION_OVERLAP"),
      4,
      5,
      6,
      7,
      Code("CHECK_LINE_VHDX_BAT_START_PAST_EOF"),
      0,
      41943040,
      33554432,
      Code("CHECK_LINE_VHDX_BAT_OFFSET_OVERFLOW"),
      9,
  };
  ASSERT_EQ(lines.AppendWords(words), "");
  std::string out;
  lines.Render([&](std::string_view line) { out += line; }, "prog");
  EXPECT_EQ(out,
            "prog: VHDX region 1-2 overlaps with region 3-\n"
            "prog: VHDX region 4-5 overlaps with region 6-7\n"
            "prog: VHDX BAT entry 0 start offset 41943040 points after end of file (33554432). "
            "Image has probably been truncated.\n"
            "prog: VHDX BAT entry 9 offset overflow.\n");
}

TEST(CheckLines, RendersQemusWording) {
  CheckLines lines;
  const std::vector<uint64_t> words = {
      Code("CHECK_LINE_CLUSTER_LEAKED"),
      7,
      1,
      0,
      Code("CHECK_LINE_L2_TABLE_UNALIGNED"),
      0x10200,
      Code("CHECK_LINE_REFBLOCK_OFFSET_UNALIGNED"),
      0x123,
      0,
      Code("CHECK_LINE_L1_IO_ERROR"),
      Code("CHECK_LINE_REFCOUNT_OVERFLOW"),
      0x50000,
  };
  ASSERT_EQ(lines.AppendWords(words), "");
  EXPECT_EQ(Text(lines),
            "Leaked cluster 7 refcount=1 reference=0\n"
            "ERROR l2_offset=10200: Table is not cluster aligned; L1 entry corrupted\n"
            "qcow2: Image is corrupt: Refblock offset 0x123 unaligned (reftable index: 0); "
            "further non-fatal corruption events will be suppressed\n"
            "ERROR: I/O error in check_refcounts_l1\n"
            "ERROR: overflow cluster offset=0x50000\n"
            "Use qemu-img amend to increase the refcount entry width or qemu-img convert to "
            "create a clean copy if the image cannot be opened for writing\n");
}

TEST(CheckLines, SnapshotLinesPrintTheNamesAsPercentS) {
  CheckLines lines;
  ASSERT_EQ(lines.AppendSnapshotLine(Code("CHECK_LINE_SNAPSHOT_L1_UNALIGNED"), "1",
                                     std::string("snap\0hidden", 11), 0x10001),
            "");
  ASSERT_EQ(lines.AppendWords(std::vector<uint64_t>{Code("CHECK_LINE_REFBLOCK_OUTSIDE_IMAGE"), 3}),
            "");
  EXPECT_EQ(Text(lines),
            "ERROR snapshot 1 (snap) l1_offset=0x10001: L1 table is not cluster aligned; snapshot "
            "table entry corrupted\n"
            "ERROR refcount block 3 is outside image\n");
}

TEST(CheckLines, RefusesUnknownCodesAndMissingNumbers) {
  CheckLines lines;
  EXPECT_NE(lines.AppendWords(std::vector<uint64_t>{0}), "");
  EXPECT_NE(lines.AppendWords(std::vector<uint64_t>{9999}), "");
  EXPECT_NE(lines.AppendWords(std::vector<uint64_t>{Code("CHECK_LINE_CLUSTER_LEAKED"), 1, 2}), "");
  EXPECT_NE(lines.AppendWords(std::vector<uint64_t>{Code("CHECK_LINE_SNAPSHOT_L1_UNALIGNED"), 1}),
            "")
      << "a snapshot line needs its names";
  EXPECT_NE(lines.AppendSnapshotLine(Code("CHECK_LINE_L1_IO_ERROR"), "1", "s", 0), "");
  EXPECT_TRUE(lines.empty());
}

}  // namespace
}  // namespace instar::render
