// audit.cc: the audit recorder; the sentinel tests prove no access leaves the allowed root.
#include "engine/chain/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

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
