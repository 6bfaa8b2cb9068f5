// map_render_test.cc: img_map's merging and dump_map_entry() text, from the reference's examples
// (shared/reference/qemu-img-7.2.md section 5 and qemu-versions/differences.md).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/render/map_render.h"

namespace instar::render {
namespace {

MapEntry entry(uint64_t start, uint64_t length, uint32_t depth, bool present, bool zero, bool data,
               std::optional<uint64_t> offset = std::nullopt, bool compressed = false) {
  MapEntry e;
  e.start = start;
  e.length = length;
  e.depth = depth;
  e.present = present;
  e.zero = zero;
  e.data = data;
  e.compressed = compressed;
  e.has_offset = offset.has_value();
  e.offset = offset.value_or(0);
  return e;
}

struct Printed {
  std::string out;
  std::string error;
};

Printed print(MapStyle style, const std::vector<MapEntry>& entries, uint64_t start = 0,
              std::vector<std::string> files = {"top.qcow2", "base.qcow2"}) {
  Printed p;
  MapPrinter printer(style, std::move(files), [&p](std::string_view s) { p.out += s; });
  printer.begin(start);
  for (const MapEntry& e : entries) printer.add(e);
  printer.finish();
  p.error = printer.error();
  return p;
}

// The reference's top.qcow2 over base.qcow2 (section 5), as the guest reports it.
const std::vector<MapEntry> kChain = {
    entry(0, 524288, 1, true, false, true, 327680),
    entry(524288, 1048576, 0, true, false, true, 327680),
    entry(1572864, 524288, 1, false, true, false),
    entry(2097152, 524288, 1, true, false, true, 1376256),
    entry(2621440, 65536, 0, true, true, false),
    entry(2686976, 458752, 1, false, true, false),
    entry(3145728, 65536, 0, true, true, false),
    entry(3211264, 983040, 1, false, true, false),
};

TEST(MapRender, HumanPrintsDataRowsWithTheFileOfTheirDepth) {
  const Printed p = print({}, kChain);
  EXPECT_EQ(p.out,
            "Offset          Length          Mapped to       File\n"
            "0               0x80000         0x50000         base.qcow2\n"
            "0x80000         0x100000        0x50000         top.qcow2\n"
            "0x200000        0x80000         0x150000        base.qcow2\n");
  EXPECT_EQ(p.error, "");
}

TEST(MapRender, JsonPrintsEveryEntryOnItsOwnLine) {
  const Printed p = print({.json = true}, kChain);
  EXPECT_TRUE(p.out.starts_with(
      "[{ \"start\": 0, \"length\": 524288, \"depth\": 1, \"present\": true, \"zero\": false, "
      "\"data\": true, \"offset\": 327680},\n{ \"start\": 524288, "))
      << p.out;
  EXPECT_TRUE(p.out.ends_with(
      "{ \"start\": 3211264, \"length\": 983040, \"depth\": 1, \"present\": false, \"zero\": true, "
      "\"data\": false}]\n"));
}

TEST(MapRender, NewerProfilesAddCompressedBeforeTheOffset) {
  const Printed p = print({.json = true, .compressed_field = true, .merge_compressed = true},
                          {entry(0, 65536, 0, true, false, true, std::nullopt, true),
                           entry(65536, 65536, 0, true, false, true, 1000)});
  EXPECT_EQ(p.out,
            "[{ \"start\": 0, \"length\": 65536, \"depth\": 0, \"present\": true, \"zero\": false, "
            "\"data\": true, \"compressed\": true},\n"
            "{ \"start\": 65536, \"length\": 65536, \"depth\": 0, \"present\": true, \"zero\": "
            "false, \"data\": true, \"compressed\": false, \"offset\": 1000}]\n");
}

TEST(MapRender, AdjacentEntriesMergeOnlyWithContiguousOffsets) {
  const Printed p = print({.json = true}, {entry(0, 512, 0, true, false, true, 4096),
                                           entry(512, 512, 0, true, false, true, 4608),
                                           entry(1024, 512, 0, true, false, true, 8192)});
  EXPECT_EQ(p.out,
            "[{ \"start\": 0, \"length\": 1024, \"depth\": 0, \"present\": true, \"zero\": false, "
            "\"data\": true, \"offset\": 4096},\n"
            "{ \"start\": 1024, \"length\": 512, \"depth\": 0, \"present\": true, \"zero\": false, "
            "\"data\": true, \"offset\": 8192}]\n");
}

TEST(MapRender, HumanRefusesCompressedDataAfterTheHeader) {
  const Printed p = print({}, {entry(0, 512, 0, true, false, true, 4096),
                               entry(512, 512, 0, true, false, true, std::nullopt, true),
                               entry(1024, 512, 0, true, false, true, 8192)});
  EXPECT_EQ(p.out,
            "Offset          Length          Mapped to       File\n"
            "0               0x200           0x1000          top.qcow2\n");
  EXPECT_EQ(p.error, "File contains external, encrypted or compressed clusters.");
}

TEST(MapRender, AnEmptyWalkStillDumpsItsZeroLengthEntry) {
  EXPECT_EQ(print({.json = true}, {}, 8388608).out,
            "[{ \"start\": 8388608, \"length\": 0, \"depth\": 0, \"present\": false, \"zero\": "
            "false, \"data\": false}]\n");
  EXPECT_EQ(print({}, {}, 8388608).out, "Offset          Length          Mapped to       File\n");
}

}  // namespace
}  // namespace instar::render
