// snapshot_param_test.cc: -l as qemu-img 7.2's img_convert reads it (outputs measured with
// Debian's qemu-img 7.2).
#include "engine/cli/snapshot_param.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace instar::cli {
namespace {

TEST(SnapshotParam, PlainValueIsAnIdOrName) {
  SnapshotSelection s;
  ASSERT_TRUE(TakeSnapshotParam("snap1", &s).ok);
  EXPECT_FALSE(s.by_options);
  EXPECT_EQ(s.id_or_name, "snap1");
  // Not "snapshot.": the whole text is the name, commas and all.
  ASSERT_TRUE(TakeSnapshotParam("foo=bar,x", &s).ok);
  EXPECT_EQ(s.id_or_name, "foo=bar,x");
}

TEST(SnapshotParam, OptionsFormTakesTheLastOfEachKeyAndWinsOverAName) {
  SnapshotSelection s;
  ASSERT_TRUE(TakeSnapshotParam("snapshot.id=5,snapshot.id=1", &s).ok);
  ASSERT_TRUE(TakeSnapshotParam("snap1", &s).ok);
  EXPECT_TRUE(s.by_options);
  EXPECT_EQ(s.id, "1");
  EXPECT_FALSE(s.name.has_value());
  EXPECT_EQ(s.id_or_name, "snap1");
  // A later options form replaces the earlier one whole.
  ASSERT_TRUE(TakeSnapshotParam("snapshot.name=n,,x", &s).ok);
  EXPECT_FALSE(s.id.has_value());
  EXPECT_EQ(s.name, "n,x");
}

TEST(SnapshotParam, InvalidKeysFailWithQemusTwoLines) {
  SnapshotSelection s;
  SnapshotParamResult r = TakeSnapshotParam("snapshot.id=1,foo=2", &s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{"Invalid parameter 'foo'",
                                      "Failed in parsing snapshot param 'snapshot.id=1,foo=2'"}));
  // Warnings of short-form booleans come as each option is parsed: up to the failing one.
  r = TakeSnapshotParam("snapshot.id=1,bar,snapshot.qq", &s);
  EXPECT_EQ(r.warnings,
            (std::vector<std::string>{"warning: short-form boolean option 'bar' deprecated\n"
                                      "Please use bar=on instead"}));
  EXPECT_EQ(r.errors.front(), "Invalid parameter 'bar'");
  // A valid short-form key warns and is taken as "on".
  r = TakeSnapshotParam("snapshot.id", &s);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(s.id, "on");
  EXPECT_FALSE(s.id_or_name.has_value());
}

TEST(SnapshotParam, IdIsTheOptionsOwnNameAndHelpListsTheKeys) {
  SnapshotSelection s;
  EXPECT_TRUE(TakeSnapshotParam("snapshot.id=1,id=x", &s).ok);
  SnapshotParamResult r = TakeSnapshotParam("snapshot.id=1,id=1x", &s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.errors.back(), "Failed in parsing snapshot param 'snapshot.id=1,id=1x'");
  r = TakeSnapshotParam("snapshot.name=a,help", &s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.help,
            "snapshot options:\n  snapshot.id=<str>      - snapshot id\n"
            "  snapshot.name=<str>    - snapshot name\n");
}

TEST(SnapshotParam, OnlyTheNamesTheGuestGetsAreBoundedByInstar) {
  const std::string long_name(abi::kSnapshotSelectorMax + 1, 'n');
  SnapshotSelection s;
  ASSERT_TRUE(TakeSnapshotParam(long_name, &s).ok);
  EXPECT_TRUE(SnapshotSelectionTooLong(s).has_value());
  // The options form wins, so the long plain name is never used.
  ASSERT_TRUE(TakeSnapshotParam("snapshot.id=1", &s).ok);
  EXPECT_FALSE(SnapshotSelectionTooLong(s).has_value());
  abi::OpConfig op{};
  PutSnapshotSelection(s, &op);
  EXPECT_EQ(op.snapshot_select, abi::kSnapshotIdAndName);
  EXPECT_EQ(op.snapshot_flags, uint32_t{abi::kSnapshotHasId});
  EXPECT_EQ(op.snapshot_id_length, 1u);
  EXPECT_EQ(op.snapshot_name_length, 0u);
}

}  // namespace
}  // namespace instar::cli
