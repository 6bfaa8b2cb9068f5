// options_test.cc: global and `info` option parsing follows qemu-img's getopt semantics.
#include <gtest/gtest.h>

#include <cstdlib>

#include <string>
#include <vector>

#include "engine/cli/format_name.h"
#include "engine/cli/global_options.h"
#include "engine/cli/info_options.h"

namespace instar::cli {
namespace {

// Owns a mutable argv for getopt (which may permute it).
struct Argv {
  explicit Argv(std::vector<std::string> args) : storage(std::move(args)) {
    for (std::string& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(storage.size()); }
  char** argv() { return pointers.data(); }
  std::vector<std::string> storage;
  std::vector<char*> pointers;
};

TEST(GlobalOptionsTest, TraceIsAcceptedAndHelpNoted) {
  Argv a({"instar", "-T", "enable=foo*", "info", "x"});
  GlobalParse g = parse_global_options(a.argc(), a.argv());
  EXPECT_TRUE(g.ok);
  EXPECT_FALSE(g.options.trace_help);
  Argv b({"instar", "--trace", "help", "info", "x"});
  EXPECT_TRUE(parse_global_options(b.argc(), b.argv()).options.trace_help);
  Argv c({"instar", "-T", "enable=help,file=x", "info", "x"});
  EXPECT_TRUE(parse_global_options(c.argc(), c.argv()).options.trace_help);
}

TEST(GlobalOptionsTest, StopsAtTheSubcommand) {
  Argv a({"instar", "--sandbox=process", "info", "-f", "raw", "x"});
  GlobalParse g = parse_global_options(a.argc(), a.argv());
  ASSERT_TRUE(g.ok) << g.error;
  EXPECT_EQ(g.options.sandbox.value_or(""), "process");
  EXPECT_EQ(g.options.command_index, 2);
}

TEST(GlobalOptionsTest, SeparateArgumentAndErrors) {
  Argv a({"instar", "--sandbox", "kvm", "info"});
  GlobalParse g = parse_global_options(a.argc(), a.argv());
  ASSERT_TRUE(g.ok);
  EXPECT_EQ(g.options.sandbox.value_or(""), "kvm");
  Argv b({"instar", "--bogus"});
  EXPECT_EQ(parse_global_options(b.argc(), b.argv()).error, "unrecognized option '--bogus'");
  Argv c({"instar", "-T"});
  EXPECT_EQ(parse_global_options(c.argc(), c.argv()).error, "missing argument for option '-T'");
  Argv d({"instar"});
  GlobalParse none = parse_global_options(d.argc(), d.argv());
  ASSERT_TRUE(none.ok);
  EXPECT_EQ(none.options.command_index, 0);
}

// --allow-root is repeatable; given at all, it replaces INSTAR_ALLOW_ROOT (as --sandbox does).
TEST(GlobalOptionsTest, AllowRootRepeatsAndOverridesTheEnvironment) {
  Argv a({"instar", "--allow-root", "/srv/a", "--allow-root=b", "check", "x"});
  GlobalParse g = parse_global_options(a.argc(), a.argv());
  ASSERT_TRUE(g.ok) << g.error;
  EXPECT_EQ(g.options.allow_roots, (std::vector<std::string>{"/srv/a", "b"}));
  EXPECT_EQ(g.options.command_index, 4);
  ::setenv("INSTAR_ALLOW_ROOT", "/env/one::/env/two:", 1);
  EXPECT_EQ(allowed_roots(g.options), (std::vector<std::string>{"/srv/a", "b"}));
  EXPECT_EQ(allowed_roots(GlobalOptions{}), (std::vector<std::string>{"/env/one", "/env/two"}));
  ::unsetenv("INSTAR_ALLOW_ROOT");
  EXPECT_TRUE(allowed_roots(GlobalOptions{}).empty());
  Argv empty({"instar", "--allow-root=", "info", "x"});
  EXPECT_EQ(parse_global_options(empty.argc(), empty.argv()).error,
            "option '--allow-root' needs a directory");
  Argv missing({"instar", "--allow-root"});
  EXPECT_EQ(parse_global_options(missing.argc(), missing.argv()).error,
            "missing argument for option '--allow-root'");
}

TEST(InfoOptionsTest, PermutesAndAbbreviatesLikeGetoptLong) {
  Argv a({"info", "img.qcow2", "--out=json", "-U", "-f", "qcow2"});
  InfoParse p = parse_info_options(a.argc(), a.argv());
  ASSERT_EQ(p.error, InfoParse::Error::kNone) << p.message;
  EXPECT_EQ(p.options.filename, "img.qcow2");
  EXPECT_EQ(p.options.output, OutputFormat::kJson);
  EXPECT_TRUE(p.options.force_share);
  EXPECT_EQ(p.options.format.value_or(""), "qcow2");
}

TEST(InfoOptionsTest, ChecksInQemuOrder) {
  Argv a({"info", "--output=xml"});
  EXPECT_EQ(parse_info_options(a.argc(), a.argv()).message, "Expecting one image file name");
  Argv b({"info", "--output=xml", "f"});
  InfoParse pb = parse_info_options(b.argc(), b.argv());
  EXPECT_EQ(pb.error, InfoParse::Error::kPlain);
  EXPECT_EQ(pb.message, "--output must be used with human or json as argument.");
  Argv c({"info", "--output=xml", "-x", "f"});
  EXPECT_EQ(parse_info_options(c.argc(), c.argv()).message, "unrecognized option '-x'");
  Argv d({"info", "-f"});
  EXPECT_EQ(parse_info_options(d.argc(), d.argv()).message, "missing argument for option '-f'");
  Argv e({"info", "a", "b"});
  EXPECT_EQ(parse_info_options(e.argc(), e.argv()).error, InfoParse::Error::kUsage);
  Argv f({"info", "--image-opts", "f"});
  InfoParse pf = parse_info_options(f.argc(), f.argv());
  EXPECT_EQ(pf.error, InfoParse::Error::kNone);
  EXPECT_TRUE(pf.options.image_opts);
  // --object acts in the getopt loop, before the file-name count is checked.
  Argv g({"info", "--object", "secret,id=s0"});
  InfoParse pg = parse_info_options(g.argc(), g.argv());
  EXPECT_EQ(pg.error, InfoParse::Error::kPlain);
  EXPECT_EQ(pg.message, "Either 'file' or 'data' must be provided");
  Argv h({"info", "--object", "help", "x"});
  InfoParse ph = parse_info_options(h.argc(), h.argv());
  ASSERT_TRUE(ph.options.object_help.has_value());
  EXPECT_EQ(ph.options.object_help->rfind("List of user creatable objects:\n", 0), 0u);
}

// 10.2 adds --limits and -t/--cache; before that getopt does not know them.
TEST(InfoOptionsTest, LimitsAndCacheOnlyWhereTheVersionHasThem) {
  const InfoOptionSet v102{true, true};
  Argv a({"info", "--lim", "-t", "none", "img"});
  InfoParse p = parse_info_options(a.argc(), a.argv(), v102);
  ASSERT_EQ(p.error, InfoParse::Error::kNone) << p.message;
  EXPECT_TRUE(p.options.limits);
  EXPECT_EQ(p.options.cache, "none");
  Argv b({"info", "--cache=bogus", "img"});
  InfoParse pb = parse_info_options(b.argc(), b.argv(), v102);
  ASSERT_EQ(pb.error, InfoParse::Error::kNone);  // the mode is checked when images are opened
  EXPECT_EQ(pb.options.cache, "bogus");
  Argv c({"info", "img"});
  InfoParse pc = parse_info_options(c.argc(), c.argv(), v102);
  EXPECT_FALSE(pc.options.limits);
  EXPECT_EQ(pc.options.cache, "writeback");  // BDRV_DEFAULT_CACHE
  Argv d({"info", "--limits", "img"});
  InfoParse pd = parse_info_options(d.argc(), d.argv());
  EXPECT_EQ(pd.error, InfoParse::Error::kUsage);
  EXPECT_EQ(pd.message, "unrecognized option '--limits'");
  Argv e({"info", "-t", "none", "img"});
  EXPECT_EQ(parse_info_options(e.argc(), e.argv()).error, InfoParse::Error::kUsage);
  Argv f({"info", "-t"});
  EXPECT_EQ(parse_info_options(f.argc(), f.argv(), v102).message,
            "missing argument for option '-t'");
  EXPECT_TRUE(cache_mode_uses_o_direct("none"));
  EXPECT_TRUE(cache_mode_uses_o_direct("off"));
  EXPECT_TRUE(cache_mode_uses_o_direct("directsync"));
  EXPECT_FALSE(cache_mode_uses_o_direct("writeback"));
  EXPECT_FALSE(cache_mode_uses_o_direct("unsafe"));
  EXPECT_FALSE(cache_mode_uses_o_direct("writethrough"));
}

TEST(FormatNameTest, KnowsQemuDrivers) {
  abi::ImageFormat f = abi::ImageFormat::kProbe;
  EXPECT_EQ(lookup_format("qcow2", &f), FormatLookup::kSupported);
  EXPECT_EQ(f, abi::ImageFormat::kQcow2);
  EXPECT_EQ(lookup_format("raw", &f), FormatLookup::kSupported);
  EXPECT_EQ(f, abi::ImageFormat::kRaw);
  EXPECT_EQ(lookup_format("vmdk", &f), FormatLookup::kSupported);
  EXPECT_EQ(f, abi::ImageFormat::kVmdk);
  EXPECT_EQ(lookup_format("vdi", &f), FormatLookup::kSupported);
  EXPECT_EQ(f, abi::ImageFormat::kVdi);
  EXPECT_EQ(lookup_format("qed", &f), FormatLookup::kSupported);
  EXPECT_EQ(f, abi::ImageFormat::kQed);
  EXPECT_EQ(lookup_format("vpc", &f), FormatLookup::kSupported);
  EXPECT_EQ(f, abi::ImageFormat::kVpc);
  EXPECT_EQ(lookup_format("vhdx", &f), FormatLookup::kSupported);
  EXPECT_EQ(f, abi::ImageFormat::kVhdx);
  EXPECT_EQ(lookup_format("qcow", &f), FormatLookup::kSupported);
  EXPECT_EQ(f, abi::ImageFormat::kQcow);
  EXPECT_EQ(lookup_format("parallels", &f), FormatLookup::kSupported);
  EXPECT_EQ(f, abi::ImageFormat::kParallels);
  EXPECT_EQ(lookup_format("foo", &f), FormatLookup::kUnknown);
}

}  // namespace
}  // namespace instar::cli
