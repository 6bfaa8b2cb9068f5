// The qemu-img version cache: line format, lookup by identity, bounded updates, file round trip.
#include "engine/cli/version_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

namespace instar::cli {
namespace {

const BinaryIdentity kQemu{2049, 1234, 5000000, 1700000000123456789, 1700000001000000000};

TEST(VersionCache, LineRoundTrip) {
  const CachedAnswer answer{kQemu, render::QemuVersion{7, 2, 22}};
  const std::string line = FormatCacheLine(answer);
  EXPECT_EQ(line, "2049 1234 5000000 1700000000123456789 1700000001000000000 7.2.22");
  const std::optional<CachedAnswer> back = ParseCacheLine(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->identity, kQemu);
  ASSERT_TRUE(back->version);
  EXPECT_EQ(back->version->ToString(), "7.2.22");
}

TEST(VersionCache, NegativeAnswerIsRemembered) {
  const std::optional<CachedAnswer> back = ParseCacheLine(FormatCacheLine({kQemu, std::nullopt}));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->version);
}

TEST(VersionCache, MalformedLinesAreIgnored) {
  for (const char* bad : {"", "1 2 3 4 5", "1 2 3 4 5 6 7", "x 2 3 4 5 7.2", "1 2 3 4 5 seven",
                          "1 2 3 4 5 7.2.22 ", "-1 2 3 4 5 7.2"}) {
    EXPECT_FALSE(ParseCacheLine(bad)) << bad;
  }
  const std::string text = std::string("garbage\n") + FormatCacheLine({kQemu, {{8, 2, 2}}}) + "\n";
  const std::optional<CachedAnswer> hit = LookupCache(text, kQemu);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->version->ToString(), "8.2.2");
}

TEST(VersionCache, AnyIdentityChangeMisses) {
  const std::string text = UpdateCache("", {kQemu, {{7, 2, 22}}});
  for (int field = 0; field < 5; ++field) {
    BinaryIdentity changed = kQemu;
    uint64_t* u[] = {&changed.dev, &changed.ino, &changed.size};
    if (field < 3) *u[field] += 1;
    if (field == 3) changed.mtime_ns += 1;
    if (field == 4) changed.ctime_ns += 1;
    EXPECT_FALSE(LookupCache(text, changed)) << "field " << field;
  }
  EXPECT_TRUE(LookupCache(text, kQemu));
}

TEST(VersionCache, UpdateReplacesSameInodeAndIsBounded) {
  std::string text = UpdateCache("", {kQemu, {{7, 2, 22}}});
  BinaryIdentity rebuilt = kQemu;
  rebuilt.size += 10;
  text = UpdateCache(text, {rebuilt, {{8, 2, 2}}});
  EXPECT_FALSE(LookupCache(text, kQemu));  // the stale entry for that inode is gone
  EXPECT_EQ(LookupCache(text, rebuilt)->version->ToString(), "8.2.2");
  for (uint64_t i = 0; i < 2 * kVersionCacheMaxEntries; ++i) {
    BinaryIdentity other = kQemu;
    other.ino = 100000 + i;
    text = UpdateCache(text, {other, std::nullopt});
  }
  size_t count = 0;
  for (char c : text) count += c == '\n';
  EXPECT_EQ(count, kVersionCacheMaxEntries);
}

TEST(VersionCache, FileRoundTripCreatesDirectories) {
  char base[] = "/tmp/instar-version-cache-XXXXXX";
  ASSERT_NE(mkdtemp(base), nullptr);
  const std::string path = std::string(base) + "/cache/instar/qemu-img-version";
  const std::string text = UpdateCache("", {kQemu, {{9, 2, 4}}});
  WriteVersionCache(path, text);
  EXPECT_EQ(ReadVersionCache(path), text);
  EXPECT_EQ(ReadVersionCache(std::string(base) + "/absent"), "");
  ASSERT_EQ(std::system(("rm -rf " + std::string(base)).c_str()), 0);
}

TEST(VersionCache, PathFollowsXdgThenHome) {
  const char* old_xdg = getenv("XDG_CACHE_HOME");
  const char* old_home = getenv("HOME");
  const std::string saved_xdg = old_xdg ? old_xdg : "";
  const std::string saved_home = old_home ? old_home : "";
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  EXPECT_EQ(VersionCachePath(), "/x/cache/instar/qemu-img-version");
  setenv("XDG_CACHE_HOME", "relative", 1);  // not absolute: ignored, as the XDG spec says
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(VersionCachePath(), "/home/u/.cache/instar/qemu-img-version");
  if (old_xdg)
    setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
  else
    unsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace instar::cli
