// profile_select.h: which qemu-img version's output instar reproduces (--qemu-version, env, PATH).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/render/profile.h"

namespace instar::cli {

// Where a version request can come from, strongest first.
struct ProfileRequest {
  std::optional<std::string> cli_value;  // --qemu-version X.Y[.Z]
  std::optional<std::string> env_value;  // INSTAR_QEMU_VERSION
};

struct ProfileSelection {
  bool ok = false;
  std::string error;  // usage error text when !ok
  render::Profile profile{};
  // The version `--version` reports under the qemu-img name: the requested one when its X.Y has a
  // profile, else the profile's own.
  render::QemuVersion reported;
  // A one-line explanation when a version was mapped to another profile ("" otherwise); printed
  // to stderr only with --verbose / INSTAR_VERBOSE=1.
  std::string note;
};

// Picks the profile: --qemu-version, else INSTAR_QEMU_VERSION, else `detect()` (the installed
// qemu-img's version), else the newest profile. Unmeasured versions map to the nearest older
// profile, with a note. A malformed explicit version is an error.
ProfileSelection select_profile(const ProfileRequest& request,
                                const std::function<std::optional<render::QemuVersion>()>& detect);

// "qemu-img version X.Y.Z[ (...)]" on the first line of `qemu-img --version`; nullopt for any
// other text, and for instar's own answer (which names instar), so instar never profiles itself.
std::optional<render::QemuVersion> parse_qemu_img_version(std::string_view version_output);

// Only absolute PATH entries are searched (an empty or relative entry would be the working
// directory). Runs the first `qemu-img` on PATH that is not this executable with --version (at most
// once per process, 5 s limit) and parses its answer. nullopt when there is none or it does not
// answer.
std::optional<render::QemuVersion> detect_installed_qemu_img();

}  // namespace instar::cli
