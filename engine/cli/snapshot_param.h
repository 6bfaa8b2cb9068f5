// snapshot_param.h: convert's and measure's `-l snapshot_param`, as img_convert/img_measure read
// it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "guest/abi/abi.h"

namespace instar::cli {

// Which internal snapshot an input is read at (bdrv_snapshot_load_tmp()).
struct SnapshotSelection {
  // `-l snapshot.id=I,snapshot.name=N` (either may be absent): the snapshot with both given.
  bool by_options = false;
  std::optional<std::string> id;
  std::optional<std::string> name;
  // `-l NAME`: bdrv_snapshot_load_tmp_by_id_or_name(), the id first, then the name.
  std::optional<std::string> id_or_name;

  bool any() const { return by_options || id_or_name.has_value(); }
};

// What one -l does to the selection.
struct SnapshotParamResult {
  bool ok = false;
  // qemu's warnings for short-form booleans, in order ("warning: ..."), printed either way.
  std::vector<std::string> warnings;
  // !ok: the failing key's error, then "Failed in parsing snapshot param '<value>'".
  std::vector<std::string> errors;
  std::optional<std::string> help;  // stdout after the errors ("help" among the options)
};

// Applies one -l value in getopt order: a value starting with "snapshot." is QemuOpts of
// internal_snapshot_opts (snapshot.id, snapshot.name; the last -l of this form wins and beats any
// plain name), any other value is a snapshot id or name (the last one wins).
SnapshotParamResult TakeSnapshotParam(std::string_view value, SnapshotSelection* selection);

// instar's limit on a -l id or name the guest can be given (abi::kSnapshotSelectorMax): the
// refusal to print when one is longer, else nullopt. qemu has none.
std::optional<std::string> SnapshotSelectionTooLong(const SnapshotSelection& selection);

// The selection as OpConfig's snapshot fields (which must be zero; lengths checked first).
void PutSnapshotSelection(const SnapshotSelection& selection, abi::OpConfig* op);

}  // namespace instar::cli
