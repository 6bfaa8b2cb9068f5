// root_walk.cc: the component-by-component resolver behind the allow-list (docs/chains.md).
#include "engine/chain/root_walk.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "engine/chain/audit.h"

namespace instar::chain {

namespace {

// The kernel's own limit on symlinks followed in one lookup (MAXSYMLINKS).
constexpr int kMaxSymlinkHops = 40;

struct Step {
  std::string name;
  bool last_of_name = false;  // the final component of the backing name as stored
};

std::string AbsoluteOf(const std::string& root, const Components& under_root) {
  std::string out = root;
  for (const std::string& c : under_root) {
    if (out.empty() || out.back() != '/') out += '/';
    out += c;
  }
  return out;
}

// openat2 confined beneath the root with no symlinks at all; plain openat(O_NOFOLLOW) on kernels
// without it (the walk has already proved every component symlink-free).
int OpenBeneath(int root_fd, const std::string& relative) {
  const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW;
#ifdef SYS_openat2
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
  if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return static_cast<int>(fd);
#endif
  return ::openat(root_fd, relative.c_str(), flags);
}

}  // namespace

bool AllowedRoot::Open(std::string_view top_filename, std::string* error) {
  const size_t slash = top_filename.rfind('/');
  std::string dir = slash == std::string_view::npos
                        ? std::string(".")
                        : std::string(top_filename.substr(0, slash + 1));
  audit::Record("open", dir);
  const int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  fd_.reset(fd);
  // realpath of the open directory itself, so the spelling names exactly what fd_ holds.
  char resolved[PATH_MAX];
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(proc.c_str(), resolved, sizeof resolved - 1);
  if (n <= 0 || resolved[0] != '/') {
    *error = "cannot resolve the image's directory";
    return false;
  }
  path_.assign(resolved, static_cast<size_t>(n));
  spellings_.canonical = SplitPath(path_);

  std::string lexical = dir;
  if (lexical.front() != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) != nullptr) lexical = std::string(cwd) + "/" + lexical;
  }
  spellings_.lexical = SplitPath(lexical);
  for (const std::string& c : spellings_.lexical) {
    if (c == "..") spellings_.lexical.clear();
  }
  return true;
}

WalkResult AllowedRoot::Walk(const LexicalPlan& plan) const {
  WalkResult result;
  if (plan.refusal != Refusal::kNone) {
    result.kind = WalkResult::Kind::kRefused;
    result.refusal = plan.refusal;
    return result;
  }
  std::deque<Step> pending;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    pending.push_back({plan.steps[i], i + 1 == plan.steps.size()});
  }
  Components current = plan.start;
  Components name_dir = plan.start;  // where qemu's spelling of the name has its directory
  int hops = 0;
  while (!pending.empty()) {
    const Step step = pending.front();
    pending.pop_front();
    if (step.last_of_name) name_dir = current;
    if (step.name == "..") {
      // `current` is real (links already expanded), so its lexical parent is its real parent.
      if (current.empty()) {
        result.kind = WalkResult::Kind::kRefused;
        result.refusal = hops > 0 ? Refusal::kSymlinkOutside : Refusal::kEscapesRoot;
        return result;
      }
      current.pop_back();
      continue;
    }
    Components next = current;
    next.push_back(step.name);
    const std::string relative = JoinRelative(next);
    audit::Record("lstat", AbsoluteOf(path_, next));
    struct stat st {};
    if (::fstatat(fd_.get(), relative.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      result.error_number = errno;
      return result;
    }
    if (S_ISLNK(st.st_mode)) {
      if (++hops > kMaxSymlinkHops) {
        result.error_number = ELOOP;
        return result;
      }
      audit::Record("readlink", AbsoluteOf(path_, next));
      char target[PATH_MAX];
      const ssize_t n = ::readlinkat(fd_.get(), relative.c_str(), target, sizeof target - 1);
      if (n < 0) {
        result.error_number = errno;
        return result;
      }
      const std::string_view link(target, static_cast<size_t>(n));
      Components spliced;
      if (!link.empty() && link.front() == '/') {
        if (!StripRoot(spellings_, link, &spliced)) {
          result.kind = WalkResult::Kind::kRefused;
          result.refusal = Refusal::kSymlinkOutside;
          return result;
        }
        current.clear();
      } else {
        spliced = SplitPath(link);
      }
      if (!StaysUnderRoot(current, spliced)) {
        result.kind = WalkResult::Kind::kRefused;
        result.refusal = Refusal::kSymlinkOutside;
        return result;
      }
      // The link's target replaces it; the name's last component stays the one that was stored.
      for (auto it = spliced.rbegin(); it != spliced.rend(); ++it) {
        pending.push_front({*it, false});
      }
      continue;
    }
    if (!pending.empty() && !S_ISDIR(st.st_mode)) {
      result.error_number = ENOTDIR;
      return result;
    }
    current = std::move(next);
  }

  const std::string relative = JoinRelative(current);
  audit::Record("open", AbsoluteOf(path_, current));
  const int fd = OpenBeneath(fd_.get(), relative);
  if (fd < 0) {
    result.error_number = errno;
    return result;
  }
  sandbox::UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    result.error_number = errno;
    return result;
  }
  if (!S_ISREG(st.st_mode)) {
    result.kind = WalkResult::Kind::kNotRegular;
    return result;
  }
  result.kind = WalkResult::Kind::kOpened;
  result.image.fd = std::move(owned);
  result.image.size = static_cast<uint64_t>(st.st_size);
  result.image.allocated = static_cast<uint64_t>(st.st_blocks) * 512;
  result.image.device = st.st_dev;
  result.image.inode = st.st_ino;
  result.image.dir = std::move(name_dir);
  return result;
}

}  // namespace instar::chain
