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
  const LexicalPlan plan = PlanBackingName({kRoot}, Location{0, c.parent_dir}, c.backing);
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
        Case{"colon_after_slash", {}, "dir/a:b", Refusal::kNone, {}, {"dir", "a:b"}},
        Case{"hidden_dir", {}, ".ssh/id_rsa", Refusal::kHiddenComponent, {}, {}},
        Case{"hidden_file", {"sub"}, ".bashrc", Refusal::kHiddenComponent, {}, {}},
        Case{"hidden_after_dotdot", {"sub"}, "../.git/x", Refusal::kHiddenComponent, {}, {}},
        Case{"hidden_dot_dot_prefix", {}, "..x/b", Refusal::kHiddenComponent, {}, {}},
        Case{"hidden_absolute", {}, "/srv/imgs/.cache/b", Refusal::kHiddenComponent, {}, {}},
        Case{"dot_is_not_hidden", {}, "./a/./b", Refusal::kNone, {}, {"a", "b"}},
        // The parent's directory was reached legitimately (the user named the top image there).
        Case{"hidden_parent_dir", {".vm"}, "b", Refusal::kNone, {".vm"}, {"b"}}),
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

TEST(HiddenNameTest, WhatIsHidden) {
  EXPECT_TRUE(IsHiddenComponent(".ssh"));
  EXPECT_TRUE(IsHiddenComponent("..."));
  EXPECT_TRUE(IsHiddenComponent("..x"));
  EXPECT_FALSE(IsHiddenComponent("."));
  EXPECT_FALSE(IsHiddenComponent(".."));
  EXPECT_FALSE(IsHiddenComponent("a.b"));
  EXPECT_FALSE(IsHiddenComponent(""));
}

// Several roots: the longest spelling wins, so a hidden root named inside another is itself.
TEST(MultipleRootsTest, LongestRootAndNamedHiddenRoots) {
  const std::vector<RootSpellings> roots{{{"home", "u"}, {}}, {{"home", "u", ".ssh"}, {}}};
  size_t root = 9;
  Components rest;
  ASSERT_TRUE(FindRoot(roots, "/home/u/.ssh/id_rsa", &root, &rest));
  EXPECT_EQ(root, 1u);
  EXPECT_EQ(rest, Components{"id_rsa"});
  EXPECT_EQ(PlanBackingName(roots, {}, "/home/u/.ssh/id_rsa").refusal, Refusal::kNone);
  // Relative from the first root: .ssh is allowed because it is the second root.
  EXPECT_EQ(PlanBackingName(roots, {0, {}}, ".ssh/id_rsa").refusal, Refusal::kNone);
  EXPECT_EQ(PlanBackingName(roots, {0, {}}, ".gnupg/k").refusal, Refusal::kHiddenComponent);
  EXPECT_EQ(PlanBackingName(roots, {1, {}}, ".x").refusal, Refusal::kHiddenComponent);
  EXPECT_EQ(PlanBackingName(roots, {}, "/etc/passwd").refusal, Refusal::kAbsoluteOutside);
  EXPECT_EQ(RefusalText(Refusal::kAbsoluteOutside, "backing name", true),
            "absolute backing name outside the allowed roots");
}

TEST(MultipleRootsTest, NoRootRefusesEverything) {
  for (const char* name : {"a", "/a", "../a"}) {
    EXPECT_EQ(PlanBackingName({}, {}, name).refusal, Refusal::kNoRoot) << name;
  }
  EXPECT_EQ(PlanBackingName({}, {}, "nbd:x").refusal, Refusal::kProtocol);
}

}  // namespace
}  // namespace instar::chain
