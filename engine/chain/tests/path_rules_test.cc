// path_rules_test.cc: table-driven checks of the lexical gate (no filesystem involved).
#include "engine/chain/path_rules.h"

#include <gtest/gtest.h>

namespace instar::chain {
namespace {

const RootSpellings kRoot{{"srv", "imgs"}, {"home", "u", "imgs"}};

struct Case {
  const char* name;
  Components parent_dir;
  const char* backing;
  Refusal refusal;
  Components start;
  Components steps;
};

class PlanTest : public ::testing::TestWithParam<Case> {};

TEST_P(PlanTest, Plans) {
  const Case& c = GetParam();
  const LexicalPlan plan = PlanBackingName(kRoot, c.parent_dir, c.backing);
  EXPECT_EQ(plan.refusal, c.refusal) << c.backing;
  if (c.refusal == Refusal::kNone) {
    EXPECT_EQ(plan.start, c.start);
    EXPECT_EQ(plan.steps, c.steps);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Names, PlanTest,
    ::testing::Values(
        Case{"relative", {}, "base.qcow2", Refusal::kNone, {}, {"base.qcow2"}},
        Case{"relative_sub", {}, "sub/base.qcow2", Refusal::kNone, {}, {"sub", "base.qcow2"}},
        Case{"dot_slash", {}, "./base.qcow2", Refusal::kNone, {}, {"base.qcow2"}},
        Case{"from_parent_dir", {"sub"}, "b.qcow2", Refusal::kNone, {"sub"}, {"b.qcow2"}},
        Case{"dotdot_inside", {"sub"}, "../b.qcow2", Refusal::kNone, {"sub"}, {"..", "b.qcow2"}},
        Case{"dotdot_down_up", {}, "a/../b", Refusal::kNone, {}, {"a", "..", "b"}},
        Case{"dotdot_outside", {}, "../b.qcow2", Refusal::kEscapesRoot, {}, {}},
        Case{"dotdot_outside_deep", {"sub"}, "../../b", Refusal::kEscapesRoot, {}, {}},
        Case{"out_and_back_in", {}, "../imgs/b", Refusal::kEscapesRoot, {}, {}},
        Case{"absolute_inside", {"sub"}, "/srv/imgs/x/b", Refusal::kNone, {}, {"x", "b"}},
        Case{"absolute_inside_lexical", {}, "/home/u/imgs/b", Refusal::kNone, {}, {"b"}},
        Case{"absolute_double_slash", {}, "//srv//imgs/./b", Refusal::kNone, {}, {"b"}},
        Case{"absolute_outside", {}, "/etc/passwd", Refusal::kAbsoluteOutside, {}, {}},
        Case{"absolute_sibling_prefix", {}, "/srv/imgs2/b", Refusal::kAbsoluteOutside, {}, {}},
        Case{"absolute_dotdot_escape", {}, "/srv/imgs/../etc/b", Refusal::kEscapesRoot, {}, {}},
        Case{"absolute_dotdot_prefix", {}, "/srv/x/../imgs/b", Refusal::kAbsoluteOutside, {}, {}},
        Case{"json",
             {},
             "json:{\"file.filename\":\"/etc/passwd\"}",
             Refusal::kJsonPseudoProtocol,
             {},
             {}},
        Case{"nbd", {}, "nbd:localhost:10809", Refusal::kProtocol, {}, {}},
        Case{"file_protocol", {}, "file:base.qcow2", Refusal::kProtocol, {}, {}},
        Case{"http", {}, "http://example.com/b", Refusal::kProtocol, {}, {}},
        Case{"nbd_plus_unix", {}, "nbd+unix:///e?socket=/s", Refusal::kProtocol, {}, {}},
        Case{"colon_after_slash", {}, "dir/a:b", Refusal::kNone, {}, {"dir", "a:b"}}),
    [](const ::testing::TestParamInfo<Case>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(SplitPathTest, DropsEmptyAndDot) {
  EXPECT_EQ(SplitPath("/a//b/./c/"), (Components{"a", "b", "c"}));
  EXPECT_EQ(SplitPath(""), Components{});
  EXPECT_EQ(SplitPath("a/../b"), (Components{"a", "..", "b"}));
}

TEST(StripRootTest, EitherSpelling) {
  Components rest;
  EXPECT_TRUE(StripRoot(kRoot, "/srv/imgs", &rest));
  EXPECT_TRUE(rest.empty());
  EXPECT_TRUE(StripRoot(kRoot, "/home/u/imgs/a/b", &rest));
  EXPECT_EQ(rest, (Components{"a", "b"}));
  EXPECT_FALSE(StripRoot(kRoot, "relative/srv/imgs", &rest));
  EXPECT_FALSE(StripRoot(RootSpellings{{"srv"}, {}}, "/", &rest));
}

TEST(StaysUnderRootTest, Depths) {
  EXPECT_TRUE(StaysUnderRoot({}, {"a", ".."}));
  EXPECT_FALSE(StaysUnderRoot({}, {".."}));
  EXPECT_TRUE(StaysUnderRoot({"a"}, {".."}));
  EXPECT_FALSE(StaysUnderRoot({"a"}, {"..", ".."}));
}

// Refusals name the kind of name that was refused: a data file is not called a backing name.
TEST(RefusalTextTest, NamesWhatWasRefused) {
  EXPECT_EQ(RefusalText(Refusal::kEscapesRoot, "backing name"),
            "backing name leaves the image's directory");
  EXPECT_EQ(RefusalText(Refusal::kEscapesRoot, "data file name"),
            "data file name leaves the image's directory");
  EXPECT_EQ(RefusalText(Refusal::kAbsoluteOutside, "data file name"),
            "absolute data file name outside the image's directory");
  EXPECT_EQ(RefusalText(Refusal::kJsonPseudoProtocol, "backing name"),
            "json: pseudo-protocol backing names are refused");
  EXPECT_EQ(RefusalText(Refusal::kProtocol, "data file name"),
            "protocol-prefixed data file names are refused");
  EXPECT_EQ(RefusalText(Refusal::kSymlinkOutside, "data file name"),
            "symbolic link leading outside the image's directory");
}

}  // namespace
}  // namespace instar::chain
