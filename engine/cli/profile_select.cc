// profile_select.cc: the output profile from the command line, the environment or PATH's qemu-img.
#include "engine/cli/profile_select.h"

#include "engine/cli/version_cache.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace instar::cli {

namespace {

// Set in the environment of the probed qemu-img: when that is a copy of instar, it must not probe
// PATH in turn (it answers with its newest profile, and the "(instar" marker makes us skip it).
constexpr const char* kProbeGuard = "INSTAR_PROFILE_PROBE";

ProfileSelection from_version(const render::QemuVersion& version, const std::string& source) {
  ProfileSelection sel;
  sel.ok = true;
  const render::ProfileMatch match = render::SelectProfile(version);
  sel.profile = match.profile;
  sel.reported = match.exact ? version : match.profile.version;
  if (!match.exact) {
    const render::QemuVersion& pv = match.profile.version;
    sel.note = "instar: no output profile for qemu-img " + version.ToString() + " (" + source +
               "); using the " + std::to_string(pv.major) + "." + std::to_string(pv.minor) +
               " profile\n";
  }
  return sel;
}

// True when `path` names the same file as the running executable.
bool is_self(const std::string& path) {
  struct stat self {};
  struct stat other {};
  if (::stat("/proc/self/exe", &self) != 0 || ::stat(path.c_str(), &other) != 0) return false;
  return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

// Runs `path --version` and returns its stdout (at most 4 KiB), or nullopt on failure/timeout.
std::optional<std::string> run_version(const std::string& path) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);

  std::vector<std::string> env_storage;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.push_back(std::string(kProbeGuard) + "=1");
  std::vector<char*> envp;
  for (std::string& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string arg0 = "qemu-img";
  std::string arg1 = "--version";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return std::nullopt;
  }

  std::string out;
  bool timed_out = false;
  timespec start{};
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const long elapsed_ms =
        (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (elapsed_ms >= 5000) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(5000 - elapsed_ms)) <= 0) continue;
    char buf[512];
    const ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    if (out.size() < 4096) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

}  // namespace

ProfileSelection select_profile(const ProfileRequest& request,
                                const std::function<std::optional<render::QemuVersion>()>& detect) {
  for (const auto& [value, source] : {std::pair{request.cli_value, "--qemu-version"},
                                      std::pair{request.env_value, "INSTAR_QEMU_VERSION"}}) {
    if (!value) continue;
    const std::optional<render::QemuVersion> v = render::ParseQemuVersion(*value);
    if (!v) {
      ProfileSelection sel;
      sel.error = std::string("invalid ") + source + " '" + *value + "' (expected X.Y or X.Y.Z)";
      return sel;
    }
    return from_version(*v, source);
  }
  if (const std::optional<render::QemuVersion> installed = detect()) {
    return from_version(*installed, "the qemu-img on PATH");
  }
  ProfileSelection sel;
  sel.ok = true;
  sel.profile = render::NewestProfile();
  sel.reported = sel.profile.version;
  return sel;
}

std::optional<render::QemuVersion> parse_qemu_img_version(std::string_view version_output) {
  const std::string_view line = version_output.substr(0, version_output.find('\n'));
  constexpr std::string_view kPrefix = "qemu-img version ";
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  if (line.find("(instar") != std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(kPrefix.size());
  rest = rest.substr(0, rest.find(' '));
  return render::ParseQemuVersion(rest);
}

std::optional<render::QemuVersion> detect_installed_qemu_img() {
  if (const char* guard = std::getenv(kProbeGuard); guard != nullptr && *guard != '\0') {
    return std::nullopt;
  }
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  // Spawning qemu-img costs more than instar's own run of `info`: answers are cached per binary
  // identity (a replaced or rewritten binary is asked again).
  const std::string cache_path = VersionCachePath();
  std::string cache = ReadVersionCache(cache_path);
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    // execvp() would search the working directory for an empty or relative entry; instar never
    // runs a qemu-img that the directory it happens to run in (an image's directory) supplies.
    const std::string dir = path.substr(begin, end - begin);
    begin = end + 1;
    if (dir.empty() || dir[0] != '/') continue;
    const std::string candidate = dir + "/qemu-img";
    struct stat st {};
    if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::access(candidate.c_str(), X_OK) != 0 || is_self(candidate)) continue;
    const BinaryIdentity identity{
        static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
        static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
        st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec};
    std::optional<CachedAnswer> answer = LookupCache(cache, identity);
    if (!answer) {
      const std::optional<std::string> out = run_version(candidate);
      // A copy of instar answers "(instar ...)" and parses as nullopt: remembered as such.
      answer = CachedAnswer{identity, out ? parse_qemu_img_version(*out) : std::nullopt};
      cache = UpdateCache(cache, *answer);  // several misses in one run all stay cached
      WriteVersionCache(cache_path, cache);
    }
    if (answer->version) return answer->version;
  }
  return std::nullopt;
}

}  // namespace instar::cli
