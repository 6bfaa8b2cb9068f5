// The "Snapshot list:" table of info and snapshot -l (qemu's bdrv_snapshot_dump).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/render/profile.h"

namespace instar::render {

// The fields bdrv_snapshot_dump() prints, as qemu holds them in QEMUSnapshotInfo.
struct SnapshotRow {
  std::string id;
  std::string name;
  uint64_t vm_state_size = 0;
  uint32_t date_sec = 0;
  uint64_t vm_clock_nsec = 0;
  uint64_t icount = UINT64_MAX;  // UINT64_MAX (-1): no icount, the column stays blank
};

// The header line, without the newline.
std::string SnapshotTableHeader(const Profile& profile);

// One row, without the newline. The id and name are cut at their first NUL and to 127 / 255 bytes
// (qemu copies them into QEMUSnapshotInfo's id_str[128] / name[256]); the date is local time
// ("%Y-%m-%d %H:%M:%S", TZ applies); VM SIZE is size_to_str().
std::string SnapshotTableRow(const SnapshotRow& row, const Profile& profile);

// dump_snapshots() / the info block: "Snapshot list:", the header and one row per snapshot, each
// line after `indent`.
std::string SnapshotListText(const std::vector<SnapshotRow>& rows, const Profile& profile,
                             const std::string& indent);

}  // namespace instar::render
