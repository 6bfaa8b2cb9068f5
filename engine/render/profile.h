// Per-qemu-version output rules: a table of switches the renderers consult, one row per version.
#pragma once

#include <span>
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

// Rule switches that differ between qemu-img versions (see
// shared/reference/qemu-versions/differences.md). Renderers branch on these fields, never on the
// version string. Only 7.2 is implemented; later versions become new rows once the renderers
// implement the switches they turn on.
struct Profile {
  std::string_view version;  // "7.2"
  // 8.2+: info prints a "Child node '/file':" section per protocol child and JSON gains a
  // "children" array (first key). 7.2: no.
  bool info_child_nodes;
  // 8.0+ suppresses "Format specific information:" when the data dict is empty; 7.2 prints the
  // header for any driver that returns format-specific info.
  bool format_specific_header_when_empty;
  // 8.2+: map JSON entries carry "compressed". 7.2: no.
  bool map_compressed_field;
  // 10.2+: info --limits exists ("Block limits:" sections). 7.2: no.
  bool info_limits;
  SnapshotTableStyle snapshot_table;
};

// Every profile the renderers implement, newest last.
std::span<const Profile> KnownProfiles();

// The profile for "X.Y" (or "X.Y.Z", matched on X.Y), or nullptr when none is known.
const Profile* FindProfile(std::string_view version);

// qemu-img 7.2, the default while it is the only implemented profile.
const Profile& DefaultProfile();

}  // namespace instar::render
