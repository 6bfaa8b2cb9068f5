// guest_binaries.cc: the search order for the guest binaries, and the error naming every place.
#include "engine/cli/guest_binaries.h"

#include <limits.h>
#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

// Set by engine/cli/CMakeLists.txt on this file only, so that changing the install prefix
// recompiles nothing else.
#ifndef INSTAR_RELATIVE_LIBEXEC
#error "INSTAR_RELATIVE_LIBEXEC must be defined (libexec/instar relative to bin)"
#endif
#ifndef INSTAR_INSTALL_LIBEXEC
#error "INSTAR_INSTALL_LIBEXEC must be defined (the configured libexec/instar directory)"
#endif

namespace instar::cli {

namespace {

std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

void add_unique(std::vector<std::string>* directories, std::string directory) {
  if (directory.empty()) return;
  if (std::find(directories->begin(), directories->end(), directory) == directories->end()) {
    directories->push_back(std::move(directory));
  }
}

}  // namespace

std::vector<std::string> guest_search_directories(std::string_view executable_directory,
                                                  std::string_view relative_libexec,
                                                  std::string_view install_libexec) {
  std::vector<std::string> directories;
  if (!executable_directory.empty()) {
    const std::filesystem::path self(executable_directory);
    add_unique(&directories, without_trailing_slash(self.lexically_normal().string()));
    if (!relative_libexec.empty()) {
      // /proc/self/exe has its symlinks resolved, so ".." here is the real parent directory.
      add_unique(&directories,
                 without_trailing_slash((self / relative_libexec).lexically_normal().string()));
    }
  }
  add_unique(&directories, without_trailing_slash(std::string(install_libexec)));
  return directories;
}

std::optional<std::string> find_guest_binary(std::string_view what, std::string_view name,
                                             const std::vector<std::string>& directories,
                                             std::string* error) {
  std::string looked;
  for (const std::string& directory : directories) {
    std::string candidate = directory + "/" + std::string(name);
    // A candidate that may exist but cannot be stat'ed (EACCES: a directory on the way the user
    // may not search) is taken: whether it runs is exec's to say, with its own error. Some
    // kernels (gVisor) let a user exec through such a directory, as instar itself was.
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 ? S_ISREG(st.st_mode)
                                            : errno != ENOENT && errno != ENOTDIR) {
      return candidate;
    }
    looked += (looked.empty() ? "" : ", ") + candidate;
  }
  *error = "cannot find " + std::string(what) + " " + std::string(name) +
           (looked.empty() ? std::string(": nowhere to look") : "; looked at: " + looked);
  return std::nullopt;
}

std::string running_executable_directory() {
  char buffer[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return {};
  const std::string self(buffer, static_cast<size_t>(n));
  const size_t slash = self.rfind('/');
  if (slash == std::string::npos) return {};
  return self.substr(0, slash == 0 ? 1 : slash);
}

std::optional<std::string> locate_guest_binary(std::string_view what, std::string_view name,
                                               std::string* error) {
  return find_guest_binary(
      what, name,
      guest_search_directories(running_executable_directory(), INSTAR_RELATIVE_LIBEXEC,
                               INSTAR_INSTALL_LIBEXEC),
      error);
}

}  // namespace instar::cli
