// version_cache.cc: the on-disk cache of `qemu-img --version` answers, keyed by file identity.
#include "engine/cli/version_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <vector>

namespace instar::cli {

namespace {

// Splits on single spaces (the cache is written by FormatCacheLine only): "a  b" and "a b " have
// empty fields, which then fail to parse.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t space = line.find(' ');
    out.push_back(line.substr(0, space));
    if (space == std::string_view::npos) return out;
    line.remove_prefix(space + 1);
  }
}

template <typename T>
bool parse_number(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

std::string FormatCacheLine(const CachedAnswer& answer) {
  const BinaryIdentity& id = answer.identity;
  return std::to_string(id.dev) + ' ' + std::to_string(id.ino) + ' ' + std::to_string(id.size) +
         ' ' + std::to_string(id.mtime_ns) + ' ' + std::to_string(id.ctime_ns) + ' ' +
         (answer.version ? answer.version->ToString() : std::string("-"));
}

std::optional<CachedAnswer> ParseCacheLine(std::string_view line) {
  const std::vector<std::string_view> f = fields(line);
  if (f.size() != 6) return std::nullopt;
  CachedAnswer answer;
  BinaryIdentity& id = answer.identity;
  if (!parse_number(f[0], &id.dev) || !parse_number(f[1], &id.ino) ||
      !parse_number(f[2], &id.size) || !parse_number(f[3], &id.mtime_ns) ||
      !parse_number(f[4], &id.ctime_ns)) {
    return std::nullopt;
  }
  if (f[5] != "-") {
    answer.version = render::ParseQemuVersion(f[5]);
    if (!answer.version) return std::nullopt;
  }
  return answer;
}

std::optional<CachedAnswer> LookupCache(std::string_view cache_text,
                                        const BinaryIdentity& identity) {
  for (std::string_view line : lines(cache_text)) {
    const std::optional<CachedAnswer> answer = ParseCacheLine(line);
    if (answer && answer->identity == identity) return answer;
  }
  return std::nullopt;
}

std::string UpdateCache(std::string_view cache_text, const CachedAnswer& answer) {
  std::string out = FormatCacheLine(answer) + '\n';
  size_t kept = 1;
  for (std::string_view line : lines(cache_text)) {
    if (kept >= kVersionCacheMaxEntries) break;
    const std::optional<CachedAnswer> old = ParseCacheLine(line);
    if (!old ||
        (old->identity.dev == answer.identity.dev && old->identity.ino == answer.identity.ino)) {
      continue;
    }
    out += FormatCacheLine(*old) + '\n';
    ++kept;
  }
  return out;
}

std::string VersionCachePath() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/instar/qemu-img-version";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/')
    return std::string(home) + "/.cache/instar/qemu-img-version";
  return "";
}

std::string ReadVersionCache(const std::string& path) {
  std::string text;
  if (path.empty()) return text;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return text;
  char buf[4096];
  ssize_t n = 0;
  // Bounded: a cache of kVersionCacheMaxEntries lines is far below 16 KiB.
  while (text.size() < 16384 && (n = ::read(fd, buf, sizeof buf)) > 0) {
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

void WriteVersionCache(const std::string& path, const std::string& text) {
  if (path.empty()) return;
  const size_t slash = path.rfind('/');
  const std::string dir = path.substr(0, slash);
  // Create the cache directory and its parent (~/.cache may not exist yet), private to the user.
  ::mkdir(dir.substr(0, dir.rfind('/')).c_str(), 0700);
  ::mkdir(dir.c_str(), 0700);
  std::string tmp = path + ".XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
}

}  // namespace instar::cli
