// audit.cc: the audit recorder; the sentinel tests prove no access leaves the allowed root.
#include "engine/chain/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>

namespace instar::chain::audit {

namespace {

struct State {
  std::mutex mutex;
  bool in_process = false;
  std::vector<Entry> entries;
};

State& state() {
  static State s;
  return s;
}

// Appends with one write(2) per entry, so concurrent instar processes sharing a log do not
// interleave within a line.
void append_to_log(const char* log, std::string_view op, std::string_view path) {
  const int fd = ::open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string line;
  line.reserve(op.size() + path.size() + 2);
  line.append(op).append(" ").append(path).append("\n");
  const ssize_t ignored = ::write(fd, line.data(), line.size());
  (void)ignored;  // auditing is a test aid: a failed append must not change instar's behaviour
  ::close(fd);
}

}  // namespace

void Record(std::string_view op, std::string_view path) {
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.in_process) s.entries.push_back({std::string(op), std::string(path)});
  }
  if (const char* log = std::getenv("INSTAR_AUDIT_LOG"); log != nullptr && *log != '\0') {
    append_to_log(log, op, path);
  }
}

bool Enabled() {
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.in_process) return true;
  }
  const char* log = std::getenv("INSTAR_AUDIT_LOG");
  return log != nullptr && *log != '\0';
}

namespace {

// The kernel's name for what `fd` refers to; a placeholder naming the fd if /proc cannot say.
std::string FdLink(int fd) {
  char target[PATH_MAX];
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(proc.c_str(), target, sizeof target);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof target)
    return "<unresolved fd " + std::to_string(fd) + ">";
  return std::string(target, static_cast<size_t>(n));
}

}  // namespace

void RecordFd(std::string_view op, int fd) {
  if (Enabled()) Record(op, FdLink(fd));
}

void RecordAt(std::string_view op, int dir_fd, std::string_view component) {
  if (!Enabled()) return;
  std::string path = FdLink(dir_fd);
  if (path.empty() || path.back() != '/') path += '/';
  path.append(component);
  Record(op, path);
}

void Start() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.entries.clear();
  s.in_process = true;
}

std::vector<Entry> Stop() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.in_process = false;
  return std::move(s.entries);
}

}  // namespace instar::chain::audit
