// check_render_test.cc: qemu-img 7.2 check output blocks, percentages and JSON key order.
#include "engine/render/check_render.h"

#include <gtest/gtest.h>

namespace instar::render {
namespace {

ImageCheck base(const char* filename) {
  ImageCheck c;
  c.filename = filename;
  c.format = "qcow2";
  return c;
}

TEST(CheckRender, CleanFreshImage) {
  ImageCheck c = base("v3.qcow2");
  c.image_end_offset = 262144;
  c.total_clusters = 256;
  EXPECT_EQ(RenderCheckHuman(c), "No errors were found on the image.\nImage end offset: 262144\n");
  EXPECT_EQ(RenderCheckJson(c),
            "{\n    \"image-end-offset\": 262144,\n    \"total-clusters\": 256,\n"
            "    \"check-errors\": 0,\n    \"filename\": \"v3.qcow2\",\n"
            "    \"format\": \"qcow2\"\n}\n");
}

TEST(CheckRender, CompressedStatistics) {
  ImageCheck c = base("comp.qcow2");
  c.image_end_offset = 1441792;
  c.total_clusters = 64;
  c.allocated_clusters = 32;
  c.fragmented_clusters = 16;
  c.compressed_clusters = 16;
  EXPECT_EQ(RenderCheckHuman(c),
            "No errors were found on the image.\n"
            "32/64 = 50.00% allocated, 50.00% fragmented, 50.00% compressed clusters\n"
            "Image end offset: 1441792\n");
  EXPECT_EQ(RenderCheckJson(c),
            "{\n    \"image-end-offset\": 1441792,\n    \"compressed-clusters\": 16,\n"
            "    \"total-clusters\": 64,\n    \"check-errors\": 0,\n"
            "    \"allocated-clusters\": 32,\n    \"filename\": \"comp.qcow2\",\n"
            "    \"format\": \"qcow2\",\n    \"fragmented-clusters\": 16\n}\n");
}

TEST(CheckRender, ProblemBlocksEachAfterAnEmptyLine) {
  ImageCheck c = base("b.qcow2");
  c.corruptions = 1;
  c.leaks = 3;
  c.check_errors = 7;
  c.image_end_offset = 65536;
  c.total_clusters = 256;
  EXPECT_EQ(RenderCheckHuman(c),
            "\n1 errors were found on the image.\n"
            "Data may be corrupted, or further writes to the image may corrupt it.\n"
            "\n3 leaked clusters were found on the image.\n"
            "This means waste of disk space, but no harm to data.\n"
            "\n7 internal errors have occurred during the check.\n"
            "Image end offset: 65536\n");
}

TEST(CheckRender, PercentagesRoundLikePrintf) {
  ImageCheck c = base("snap.qcow2");
  c.total_clusters = 256;
  c.allocated_clusters = 24;
  c.fragmented_clusters = 1;
  EXPECT_EQ(RenderCheckHuman(c),
            "No errors were found on the image.\n"
            "24/256 = 9.38% allocated, 4.17% fragmented, 0.00% compressed clusters\n");
}

TEST(CheckRender, JsonOrderWithEveryOptionalMember) {
  ImageCheck c = base("x");
  c.check_errors = 1;
  c.image_end_offset = 2;
  c.corruptions = 3;
  c.leaks = 4;
  c.total_clusters = 5;
  c.allocated_clusters = 6;
  c.fragmented_clusters = 7;
  c.compressed_clusters = 8;
  // The reference's ImageCheck order, minus the *-fixed members a check without -r never sets.
  EXPECT_EQ(RenderCheckJson(c),
            "{\n    \"image-end-offset\": 2,\n    \"compressed-clusters\": 8,\n"
            "    \"total-clusters\": 5,\n    \"corruptions\": 3,\n    \"check-errors\": 1,\n"
            "    \"leaks\": 4,\n    \"allocated-clusters\": 6,\n    \"filename\": \"x\",\n"
            "    \"format\": \"qcow2\",\n    \"fragmented-clusters\": 7\n}\n");
}

// check -r: the *-fixed members in the reference's ImageCheck order (QDict hash order).
TEST(CheckRender, JsonOrderWithFixedMembers) {
  ImageCheck c = base("x");
  c.check_errors = 1;
  c.image_end_offset = 2;
  c.corruptions = 3;
  c.leaks = 4;
  c.corruptions_fixed = 9;
  c.leaks_fixed = 10;
  c.total_clusters = 5;
  c.allocated_clusters = 6;
  c.fragmented_clusters = 7;
  c.compressed_clusters = 8;
  EXPECT_EQ(RenderCheckJson(c),
            "{\n    \"image-end-offset\": 2,\n    \"compressed-clusters\": 8,\n"
            "    \"total-clusters\": 5,\n    \"corruptions\": 3,\n"
            "    \"corruptions-fixed\": 9,\n    \"check-errors\": 1,\n    \"leaks\": 4,\n"
            "    \"leaks-fixed\": 10,\n    \"allocated-clusters\": 6,\n    \"filename\": \"x\",\n"
            "    \"format\": \"qcow2\",\n    \"fragmented-clusters\": 7\n}\n");
}

TEST(CheckRender, RepairNote) {
  EXPECT_EQ(RenderRepairNote(1, 0),
            "The following inconsistencies were found and repaired:\n\n"
            "    1 leaked clusters\n    0 corruptions\n\n"
            "Double checking the fixed image now...\n");
}

}  // namespace
}  // namespace instar::render
