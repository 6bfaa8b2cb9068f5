// The table of per-version output rules; today one row, qemu-img 7.2.
#include "engine/render/profile.h"

namespace instar::render {
namespace {

// qemu 7.2's bdrv_snapshot_dump(): header "%-10s%-17s%8s%20s%13s%11s", rows
// "%-9s %-16s %8s%20s%13s%11s", clock "%02d:%02d:%02d.%03d", icount blank when absent.
// (9.2+ widen the clock to %04d hours, show "--" for icount and rename VM_SIZE / VM_CLOCK: a new
// row here once that profile is implemented.)
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

constexpr Profile kProfiles[] = {
    {
        "7.2",
        /*info_child_nodes=*/false,
        /*format_specific_header_when_empty=*/true,
        /*map_compressed_field=*/false,
        /*info_limits=*/false,
        kSnapshotTable72,
    },
};

}  // namespace

std::span<const Profile> KnownProfiles() {
  return kProfiles;
}

const Profile* FindProfile(std::string_view version) {
  // "7.2.22" selects the 7.2 row: output rules change between minor releases, not patch levels.
  const size_t first_dot = version.find('.');
  if (first_dot != std::string_view::npos) {
    const size_t second_dot = version.find('.', first_dot + 1);
    if (second_dot != std::string_view::npos) version = version.substr(0, second_dot);
  }
  for (const Profile& p : kProfiles) {
    if (p.version == version) return &p;
  }
  return nullptr;
}

const Profile& DefaultProfile() {
  return kProfiles[0];
}

}  // namespace instar::render
