// The table of qemu-img behaviour changes, and the measured profiles derived from it.
#include "engine/render/profile.h"

#include <array>
#include <charconv>

namespace instar::render {
namespace {

// qemu 7.2's bdrv_snapshot_dump(): header "%-10s%-17s%8s%20s%13s%11s", rows
// "%-9s %-16s %8s%20s%13s%11s", clock "%02d:%02d:%02d.%03d", icount blank when absent.
constexpr SnapshotTableStyle kSnapshotTable72 = {
    {{"", 10, true},
     {"", 17, true},
     {"", 8, false},
     {"", 20, false},
     {"", 13, false},
     {"", 11, false}},
    {{"", 9, true},
     {" ", 16, true},
     {" ", 8, false},
     {"", 20, false},
     {"", 13, false},
     {"", 11, false}},
    {"ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT"},
    2,
    "",
};

// qemu 9.x (qemu issue #2062, block/qapi.c bdrv_snapshot_dump; measured: 8.2.2 old, 9.2.4 new; the
// brief and the patch's date place it in 9.0): header and rows share
// "%-7s %-16s %8s %19s %15s %10s", the titles lose their spaces (VM_SIZE, VM_CLOCK), hours are
// "%04d" and an absent icount prints "--".
constexpr SnapshotTableStyle kSnapshotTable90 = {
    {{"", 7, true},
     {" ", 16, true},
     {" ", 8, false},
     {" ", 19, false},
     {" ", 15, false},
     {" ", 10, false}},
    {{"", 7, true},
     {" ", 16, true},
     {" ", 8, false},
     {" ", 19, false},
     {" ", 15, false},
     {" ", 10, false}},
    {"ID", "TAG", "VM_SIZE", "DATE", "VM_CLOCK", "ICOUNT"},
    4,
    "--",
};

// One behaviour change: from release `since` on, `apply` turns the profile's switch to the new
// behaviour. Applied in table order, so a later row can undo an earlier one.
struct BehaviourChange {
  QemuVersion since;
  void (*apply)(Profile&);
};

// Why each row exists is in docs/profiles.md (same order).
constexpr BehaviourChange kChanges[] = {
    // 8.0: qemu-img info queries the block graph (bdrv_query_block_graph_info): every child node
    // is dumped after the image, and JSON is BlockGraphInfo with its "children" member.
    {{8, 0, 0}, [](Profile& p) { p.info_child_nodes = true; }},
    // 8.0: bdrv_image_info_specific_dump() skips an empty format-specific dict (the file child's).
    {{8, 0, 0}, [](Profile& p) { p.format_specific_header_when_empty = false; }},
    // 8.0: map reports compressed extents (BDRV_BLOCK_COMPRESSED) in JSON.
    {{8, 0, 0}, [](Profile& p) { p.map_compressed_field = true; }},
    // 9.0: the snapshot table's columns, titles, clock and icount placeholder.
    {{9, 0, 0}, [](Profile& p) { p.snapshot_table = kSnapshotTable90; }},
    // 10.2: qemu-img info --limits (BlockLimitsInfo for every node of the graph).
    {{10, 2, 0}, [](Profile& p) { p.info_limits = true; }},
    // 10.2: qemu-img info -t / --cache (the cache mode the limits are detected with).
    {{10, 2, 0}, [](Profile& p) { p.info_cache_option = true; }},
};

// The measured releases (shared/reference/qemu-versions) with their --version copyright years.
struct Measured {
  QemuVersion version;
  std::string_view copyright;
};
constexpr Measured kMeasured[] = {
    {{7, 2, 22}, "2003-2022"},  {{8, 2, 2}, "2003-2023"},  {{9, 2, 4}, "2003-2024"},
    {{10, 0, 13}, "2003-2025"}, {{10, 2, 2}, "2003-2025"},
};
constexpr size_t kProfileCount = sizeof(kMeasured) / sizeof(kMeasured[0]);

// A fix qemu made for a security reason, so keyed to the exact point release of each release line
// rather than to a minor release: the behaviour exists from `introduced`, is gone from `fixed`
// upstream, and from `backports[]` in the stable lines that took the fix. A line that neither
// took it nor reached `fixed` keeps the behaviour for all its releases.
struct SecurityFix {
  QemuVersion introduced;
  QemuVersion fixed;
  QemuVersion backports[3];
};

// CVE-2024-4467: `qemu-img info` opened a qcow2's external data file (8.0's block-graph query
// made it a child node). qemu commit "qcow2: Don't open data_file with BDRV_O_NO_IO" fixed it in
// 9.1.0 and the stable releases 9.0.2 and 8.2.6 (and 7.2.13, where 7.2 never showed the child:
// Debian's changelog for 1:7.2+dfsg-7+deb12u7 lists it under upstream 7.2.13). 8.0.x and 8.1.x
// had no stable release after the fix.
constexpr SecurityFix kInfoOpensDataFile = {
    {8, 0, 0}, {9, 1, 0}, {{7, 2, 13}, {8, 2, 6}, {9, 0, 2}}};

// The same fix seen from the open: before it, info's open ran qcow2_do_open's data-file step (its
// refusals of a data-file bit without a name and of data-file-raw without a data file included)
// in every release, 7.2 among them; after it, BDRV_O_NO_IO skips the step entirely.
constexpr SecurityFix kInfoRunsDataFileStep = {
    {0, 0, 0}, {9, 1, 0}, {{7, 2, 13}, {8, 2, 6}, {9, 0, 2}}};

bool HasBehaviour(const SecurityFix& fix, const QemuVersion& v) {
  if (v < fix.introduced || v >= fix.fixed) return false;
  for (const QemuVersion& b : fix.backports) {
    if (v.SameMinor(b)) return v < b;
  }
  return true;
}

// The switches keyed to exact releases, for the release `v` (measured or requested).
void ApplySecurityFixes(const QemuVersion& v, Profile* p) {
  p->info_opens_data_file = HasBehaviour(kInfoOpensDataFile, v);
  p->info_runs_data_file_step = HasBehaviour(kInfoRunsDataFileStep, v);
}

Profile Derive(const Measured& m) {
  // The 7.2 behaviour, then every change up to this release.
  Profile p{m.version, m.copyright, false, true,  false,
            false,     false,       false, false, kSnapshotTable72};
  for (const BehaviourChange& change : kChanges) {
    if (change.since <= m.version) change.apply(p);
  }
  ApplySecurityFixes(m.version, &p);
  return p;
}

const std::array<Profile, kProfileCount>& Profiles() {
  static const std::array<Profile, kProfileCount> profiles = [] {
    std::array<Profile, kProfileCount> out{};
    for (size_t i = 0; i < kProfileCount; ++i) out[i] = Derive(kMeasured[i]);
    return out;
  }();
  return profiles;
}

// A non-empty run of decimal digits as an int (at most 6 digits: no release number is longer).
bool ParsePart(std::string_view s, int* out) {
  if (s.empty() || s.size() > 6) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  std::from_chars(s.data(), s.data() + s.size(), *out);
  return true;
}

}  // namespace

std::string QemuVersion::ToString() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(micro);
}

std::optional<QemuVersion> ParseQemuVersion(std::string_view text) {
  QemuVersion v;
  const size_t dot1 = text.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  if (!ParsePart(text.substr(0, dot1), &v.major)) return std::nullopt;
  std::string_view rest = text.substr(dot1 + 1);
  const size_t dot2 = rest.find('.');
  if (!ParsePart(rest.substr(0, dot2), &v.minor)) return std::nullopt;
  if (dot2 != std::string_view::npos && !ParsePart(rest.substr(dot2 + 1), &v.micro)) {
    return std::nullopt;
  }
  return v;
}

std::span<const Profile> KnownProfiles() {
  return Profiles();
}

const Profile* FindProfile(std::string_view version) {
  const std::optional<QemuVersion> v = ParseQemuVersion(version);
  if (!v) return nullptr;
  for (const Profile& p : Profiles()) {
    if (p.version.SameMinor(*v)) return &p;
  }
  return nullptr;
}

ProfileMatch SelectProfile(const QemuVersion& version) {
  const auto& profiles = Profiles();
  const Profile* nearest = &profiles.front();
  bool exact = false;
  for (const Profile& p : profiles) {
    if (p.version.SameMinor(version)) {
      nearest = &p;
      exact = true;
      break;
    }
    // Profiles are oldest first: the last one not newer than the request is the nearest older.
    if (QemuVersion{p.version.major, p.version.minor, 0} <= version) nearest = &p;
  }
  // Output rules come from the measured profile; the security-keyed switches from the exact
  // release asked for, so neither a later point release nor an unmeasured minor release inherits
  // a behaviour its qemu no longer has.
  ProfileMatch match{*nearest, exact};
  ApplySecurityFixes(version, &match.profile);
  return match;
}

const Profile& DefaultProfile() {
  return Profiles().front();
}

const Profile& NewestProfile() {
  return Profiles().back();
}

}  // namespace instar::render
