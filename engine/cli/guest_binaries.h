// guest_binaries.h: where instar finds its guest binaries (the KVM guest ELF, the process helper).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace instar::cli {

inline constexpr std::string_view kProcessHelperName = "instar-guest-process";
inline constexpr std::string_view kKvmGuestName = "instar-guest.elf";

// The directories searched for a guest binary, in order, each without a trailing slash and
// without repeats:
//   1. `executable_directory` itself: the build tree (build/release/instar next to its guests),
//      and the copies of instar that tests assemble in a scratch directory;
//   2. `executable_directory`/`relative_libexec`: an installed tree (bin/instar and
//      libexec/instar/), wherever its prefix was moved to or unpacked (DESTDIR, dpkg-deb -x);
//   3. `install_libexec`: the libexec directory of the prefix instar was configured for.
// An empty `executable_directory` (the executable's path is unknown) leaves out 1 and 2.
std::vector<std::string> guest_search_directories(std::string_view executable_directory,
                                                  std::string_view relative_libexec,
                                                  std::string_view install_libexec);

// The first "<directory>/<name>" among `directories` that is a regular file. If there is none,
// returns nullopt and sets *error to a message naming `what` and every path looked at.
std::optional<std::string> find_guest_binary(std::string_view what, std::string_view name,
                                             const std::vector<std::string>& directories,
                                             std::string* error);

// The directory of the running executable (/proc/self/exe, symlinks resolved), "" if unknown.
std::string running_executable_directory();

// find_guest_binary over guest_search_directories for the running instar, with the layout CMake
// configured (INSTAR_RELATIVE_LIBEXEC, INSTAR_INSTALL_LIBEXEC).
std::optional<std::string> locate_guest_binary(std::string_view what, std::string_view name,
                                               std::string* error);

}  // namespace instar::cli
