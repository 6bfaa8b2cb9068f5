// audit.h: a process-global record of every path the engine opens, stats or reads a link of.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace instar::chain::audit {

// One filesystem access: `op` is "open", "lstat" or "readlink"; `path` what the kernel resolved:
// for an open, the new fd's /proc/self/fd link; for a lookup relative to a directory fd, that
// fd's link, '/', and the single component looked up. A path as given only where nothing was
// resolved (a failed open of a user-named file).
struct Entry {
  std::string op;
  std::string path;
};

// Records an access when auditing is on: after Start() (tests in-process), or when the
// environment variable INSTAR_AUDIT_LOG names a file, to which each entry is appended as
// "<op> <path>\n" (tests of the instar binary). Off otherwise, and then nearly free.
void Record(std::string_view op, std::string_view path);

// Whether anything is recorded (resolving fds costs a readlink each, so only then).
bool Enabled();

// Record(op, <link of fd>): an open that succeeded.
void RecordFd(std::string_view op, int fd);

// Record(op, <link of dir_fd>/<component>): a single-component lookup relative to a directory.
void RecordAt(std::string_view op, int dir_fd, std::string_view component);

// In-process recording for tests: Start() clears and enables, Stop() disables and returns what
// was recorded since Start().
void Start();
std::vector<Entry> Stop();

}  // namespace instar::chain::audit
