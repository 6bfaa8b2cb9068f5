// audit.h: a process-global record of every path the engine opens, stats or reads a link of.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace instar::chain::audit {

// One filesystem access: `op` is "open", "lstat" or "readlink"; `path` the absolute (lexical)
// path handed to the kernel, or the path as given for the user-named top image.
struct Entry {
  std::string op;
  std::string path;
};

// Records an access when auditing is on: after Start() (tests in-process), or when the
// environment variable INSTAR_AUDIT_LOG names a file, to which each entry is appended as
// "<op> <path>\n" (tests of the instar binary). Off otherwise, and then nearly free.
void Record(std::string_view op, std::string_view path);

// In-process recording for tests: Start() clears and enables, Stop() disables and returns what
// was recorded since Start().
void Start();
std::vector<Entry> Stop();

}  // namespace instar::chain::audit
