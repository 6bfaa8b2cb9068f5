// Per-qemu-version output rules: a table of behaviour changes from which each profile is derived.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace instar::render {

// One printf-like column of the snapshot table: `prefix` text, then the value padded to `width`
// (left- or right-aligned, never truncated, so long values push later columns right).
struct SnapshotColumn {
  const char* prefix;
  int width;
  bool left;
};

// The snapshot table of info / snapshot -l (block/qapi.c bdrv_snapshot_dump).
struct SnapshotTableStyle {
  SnapshotColumn header[6];  // ID, TAG, VM SIZE, DATE, VM CLOCK, ICOUNT
  SnapshotColumn row[6];
  const char* header_titles[6];
  int clock_hour_digits;      // zero-padded width of the hours in "HH:MM:SS.mmm"
  const char* icount_absent;  // what the ICOUNT column shows for icount == -1
};

// A qemu release number, "X.Y.Z" (micro 0 when not given).
struct QemuVersion {
  int major = 0;
  int minor = 0;
  int micro = 0;

  friend auto operator<=>(const QemuVersion&, const QemuVersion&) = default;
  // Output rules change between minor releases: compare on X.Y only.
  bool SameMinor(const QemuVersion& o) const { return major == o.major && minor == o.minor; }
  std::string ToString() const;  // "X.Y.Z"
};

// "X.Y" or "X.Y.Z" (decimal, no sign, no trailing text); nullopt otherwise.
std::optional<QemuVersion> ParseQemuVersion(std::string_view text);

// The rule switches of one qemu-img version (see docs/profiles.md and
// shared/reference/qemu-versions/differences.md). Renderers branch on these fields, never on the
// version number; the fields are set by the behaviour-change table in profile.cc.
struct Profile {
  QemuVersion version;         // the measured release the profile reproduces, e.g. 8.2.2
  std::string_view copyright;  // "2003-2022": the --version copyright line's years
  bool info_child_nodes;       // 8.0+: "Child node '/file':" sections, JSON "children"
  bool format_specific_header_when_empty;  // 7.2: "Format specific information:" even if empty
  bool info_opens_data_file;  // 8.0 .. 9.0, until the CVE-2024-4467 fix in each line: info opens
                              // an external qcow2 data file (keyed to the exact release)
  bool info_runs_data_file_step;  // until the same fix, in every line: info's open runs qcow2's
                                  // data-file step, refusals included (abi::kOpFlagNoIo)
  bool map_compressed_field;      // 8.0+: map JSON entries carry "compressed"
  bool info_limits;               // 10.2+: info --limits exists ("Block limits:")
  bool info_cache_option;         // 10.2+: info -t / --cache CACHE exists
  SnapshotTableStyle snapshot_table;
};

// Every measured profile, oldest first: 7.2, 8.2, 9.2, 10.0, 10.2.
std::span<const Profile> KnownProfiles();

// The profile whose X.Y equals the version's (e.g. "7.2.22" and "7.2" select 7.2), or nullptr.
const Profile* FindProfile(std::string_view version);

// How a requested version was mapped to a profile.
struct ProfileMatch {
  Profile profile;
  bool exact = false;  // a measured profile has this X.Y
};

// The profile for `version`: the output rules of its own X.Y if measured, else of the nearest
// older measured one (the oldest for versions before it); the switches qemu changed for security
// reasons (info_opens_data_file) follow `version` itself, point release included.
ProfileMatch SelectProfile(const QemuVersion& version);

// qemu-img 7.2: the oracle's version (Debian 12), which unit tests render with.
const Profile& DefaultProfile();

// The newest measured profile: used when no version is requested and no qemu-img is installed.
const Profile& NewestProfile();

}  // namespace instar::render
