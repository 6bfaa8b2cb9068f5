// version_cache.h: remembers PATH's qemu-img version per binary, so instar spawns it only once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/render/profile.h"

namespace instar::cli {

// What identifies one build of a binary: replacing or rewriting the file changes at least one of
// these (a rewrite in place changes size/mtime/ctime; a new file gets a new inode or ctime).
struct BinaryIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const BinaryIdentity&) const = default;
};

// The answer stored for a binary: a qemu-img version, or "not a qemu-img we can profile" (it
// failed, timed out or is a copy of instar), which is remembered too so it is not re-run.
struct CachedAnswer {
  BinaryIdentity identity;
  std::optional<render::QemuVersion> version;
};

inline constexpr size_t kVersionCacheMaxEntries = 32;

// One line per binary: "dev ino size mtime_ns ctime_ns X.Y.Z|-". Pure, for tests.
std::string FormatCacheLine(const CachedAnswer& answer);
std::optional<CachedAnswer> ParseCacheLine(std::string_view line);

// The cached answer for `identity` in the cache text, if any (malformed lines are ignored).
std::optional<CachedAnswer> LookupCache(std::string_view cache_text,
                                        const BinaryIdentity& identity);

// The cache text with `answer` first and at most kVersionCacheMaxEntries entries, dropping any
// older entry for the same inode.
std::string UpdateCache(std::string_view cache_text, const CachedAnswer& answer);

// ${XDG_CACHE_HOME:-$HOME/.cache}/instar/qemu-img-version, or "" when neither is set.
std::string VersionCachePath();

// Reads / atomically replaces (write to a temporary, rename) the cache file; failures are
// silent: without a cache instar simply runs `qemu-img --version` again next time.
std::string ReadVersionCache(const std::string& path);
void WriteVersionCache(const std::string& path, const std::string& text);

}  // namespace instar::cli
