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
#include <functional>
#include <utility>

#include "engine/chain/audit.h"
#include "engine/chain/root_walk_testing.h"

namespace instar::chain {

namespace {

// The kernel's own limit on symlinks followed in one lookup (MAXSYMLINKS).
constexpr int kMaxSymlinkHops = 40;

struct Step {
  std::string name;
  bool last_of_name = false;  // the final component of the backing name as stored
};

struct TestControls {
  std::function<void(std::string_view)> after_lookup;
  bool openat2_unavailable = false;
};

TestControls& test_controls() {
  static TestControls controls;
  return controls;
}

// Opens one component `name` (no '/', never "..") of the directory `dir_fd`. Where the kernel has
// openat2, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS is an extra guard; where
// it is missing or refused (ENOSYS: kernels before 5.6; EPERM: some seccomp profiles) plain openat
// is just as safe, because a single component with O_NOFOLLOW cannot lead anywhere but into
// `dir_fd`.
int OpenComponent(int dir_fd, const std::string& name, int flags) {
#ifdef SYS_openat2
  if (!test_controls().openat2_unavailable) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const long fd = ::syscall(SYS_openat2, dir_fd, name.c_str(), &how, sizeof how);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return static_cast<int>(fd);
  }
#endif
  return ::openat(dir_fd, name.c_str(), flags);
}

// The walk's position: a root, and an O_PATH fd for every directory entered below it, so ".."
// returns to a directory already held instead of asking the kernel for a parent.
class Cursor {
 public:
  Cursor(const std::vector<AllowedRoot>& roots, size_t root) : roots_(roots), root_(root) {}

  size_t root() const { return root_; }
  const Components& dir() const { return names_; }
  int fd() const { return fds_.empty() ? roots_[root_].fd() : fds_.back().get(); }

  // Into the subdirectory `name` of the current directory; false with errno set when it is not
  // (or is no longer) a directory, e.g. a symbolic link swapped in since it was lstat'ed.
  bool Enter(const std::string& name) {
    const int fd = OpenComponent(this->fd(), name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      const int error_number = errno;
      audit::RecordAt("open", this->fd(), name);
      errno = error_number;
      return false;
    }
    audit::RecordFd("open", fd);
    fds_.emplace_back(fd);
    names_.push_back(name);
    return true;
  }

  // Back to the directory the current one was entered from; false at the root.
  bool Leave() {
    if (names_.empty()) return false;
    fds_.pop_back();
    names_.pop_back();
    return true;
  }

  // To the top of root `root` (an absolute symlink target, a named hidden root).
  void Reset(size_t root) {
    root_ = root;
    fds_.clear();
    names_.clear();
  }

 private:
  const std::vector<AllowedRoot>& roots_;
  size_t root_;
  std::vector<sandbox::UniqueFd> fds_;
  Components names_;
};

WalkResult Refused(Refusal refusal) {
  WalkResult result;
  result.kind = WalkResult::Kind::kRefused;
  result.refusal = refusal;
  return result;
}

WalkResult Failed(int error_number) {
  WalkResult result;
  result.kind = WalkResult::Kind::kSystemError;
  result.error_number = error_number;
  return result;
}

}  // namespace

namespace testing {

void SetAfterLookupHook(std::function<void(std::string_view component)> hook) {
  test_controls().after_lookup = std::move(hook);
}

void SetOpenat2Unavailable(bool unavailable) {
  test_controls().openat2_unavailable = unavailable;
}

}  // namespace testing

bool AllowedRoot::Open(const std::string& directory, std::string* error) {
  const int fd = ::open(directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    audit::Record("open", directory);
    return false;
  }
  fd_.reset(fd);
  audit::RecordFd("open", fd);
  // The kernel's name of the open directory itself, so the spelling names exactly what fd_ holds.
  char resolved[PATH_MAX];
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(proc.c_str(), resolved, sizeof resolved - 1);
  if (n <= 0 || resolved[0] != '/') {
    *error = "cannot resolve the directory '" + directory + "'";
    return false;
  }
  path_.assign(resolved, static_cast<size_t>(n));
  spellings_.canonical = SplitPath(path_);

  std::string lexical = directory;
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

bool AllowedRoots::Open(const RootOptions& options, std::string_view top_filename,
                        std::string* error) {
  roots_.clear();
  spellings_.clear();
  top_location_.reset();
  explicit_ = !options.directories.empty();
  const size_t slash = top_filename.rfind('/');
  const std::string top_dir = slash == std::string_view::npos
                                  ? std::string(".")
                                  : std::string(top_filename.substr(0, slash + 1));
  AllowedRoot top;
  if (!top.Open(top_dir, error)) return false;
  if (!explicit_) {
    // An image in '/' would make the whole file system the root: no implicit root then.
    if (top.spellings().canonical.empty()) return true;
    spellings_.push_back(top.spellings());
    roots_.push_back(std::move(top));
    top_location_ = Location{};
    return true;
  }
  for (const std::string& directory : options.directories) {
    AllowedRoot root;
    std::string why;
    if (!root.Open(directory, &why)) {
      *error = "cannot open the allowed root '" + directory + "': " + why;
      return false;
    }
    spellings_.push_back(root.spellings());
    roots_.push_back(std::move(root));
  }
  Location location;
  if (FindRoot(spellings_, top.path(), &location.root, &location.dir)) top_location_ = location;
  return true;
}

std::string AllowedRoots::Description() const {
  std::string out = "only files under ";
  for (size_t i = 0; i < roots_.size(); ++i) {
    if (i > 0) out += i + 1 == roots_.size() ? " or " : ", ";
    out += "'" + roots_[i].path() + "'";
  }
  return out + " are opened";
}

WalkResult AllowedRoots::Walk(const LexicalPlan& plan) const {
  if (plan.refusal != Refusal::kNone) return Refused(plan.refusal);
  if (roots_.empty()) return Refused(Refusal::kNoRoot);
  Cursor cursor(roots_, plan.root);
  // The start is a real directory an earlier walk reached; it is entered again component by
  // component, so a directory replaced by a link since then fails here instead of being followed.
  for (const std::string& name : plan.start) {
    if (!cursor.Enter(name)) return Failed(errno);
  }
  std::deque<Step> pending;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    pending.push_back({plan.steps[i], i + 1 == plan.steps.size()});
  }
  Location name_dir{cursor.root(), cursor.dir()};  // where qemu's spelling has its directory
  std::string leaf = ".";  // what is opened last, relative to the cursor's directory
  int hops = 0;
  while (!pending.empty()) {
    const Step step = pending.front();
    pending.pop_front();
    if (step.last_of_name) name_dir = Location{cursor.root(), cursor.dir()};
    if (step.name == "..") {
      if (!cursor.Leave()) {
        return Refused(hops > 0 ? Refusal::kSymlinkOutside : Refusal::kEscapesRoot);
      }
      continue;
    }
    if (IsHiddenComponent(step.name)) {
      // Allowed only as the directory of an allowed root, which is then entered by its own fd.
      Components real = roots_[cursor.root()].spellings().canonical;
      real.insert(real.end(), cursor.dir().begin(), cursor.dir().end());
      real.push_back(step.name);
      size_t named = roots_.size();
      for (size_t i = 0; i < roots_.size(); ++i) {
        if (roots_[i].spellings().canonical == real) named = i;
      }
      if (named == roots_.size()) return Refused(Refusal::kHiddenComponent);
      cursor.Reset(named);
      continue;
    }
    audit::RecordAt("lstat", cursor.fd(), step.name);
    struct stat st {};
    if (::fstatat(cursor.fd(), step.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return Failed(errno);
    }
    if (test_controls().after_lookup) test_controls().after_lookup(step.name);
    if (S_ISLNK(st.st_mode)) {
      if (++hops > kMaxSymlinkHops) return Failed(ELOOP);
      audit::RecordAt("readlink", cursor.fd(), step.name);
      char target[PATH_MAX];
      const ssize_t n = ::readlinkat(cursor.fd(), step.name.c_str(), target, sizeof target - 1);
      if (n < 0) return Failed(errno);
      const std::string_view link(target, static_cast<size_t>(n));
      Components spliced;
      if (!link.empty() && link.front() == '/') {
        size_t root = 0;
        if (!FindRoot(spellings_, link, &root, &spliced)) {
          return Refused(Refusal::kSymlinkOutside);
        }
        cursor.Reset(root);
      } else {
        spliced = SplitPath(link);
      }
      if (!StaysUnderRoot(cursor.dir(), spliced)) return Refused(Refusal::kSymlinkOutside);
      // The link's target replaces it; the name's last component stays the one that was stored.
      for (auto it = spliced.rbegin(); it != spliced.rend(); ++it) {
        pending.push_front({*it, false});
      }
      continue;
    }
    if (pending.empty()) {
      // A device or FIFO is refused as lstat saw it, before an open could act on it; a regular
      // file or directory is opened and checked again on the fd (it may have changed since).
      if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        WalkResult result;
        result.kind = WalkResult::Kind::kNotRegular;
        return result;
      }
      leaf = step.name;
      break;
    }
    if (!S_ISDIR(st.st_mode)) return Failed(ENOTDIR);
    if (!cursor.Enter(step.name)) return Failed(errno);
  }

  const int fd =
      OpenComponent(cursor.fd(), leaf, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0) {
    const int error_number = errno;
    audit::RecordAt("open", cursor.fd(), leaf);
    return Failed(error_number);
  }
  audit::RecordFd("open", fd);
  sandbox::UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Failed(errno);
  WalkResult result;
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
