// snapshot_load.cc: the snapshot selection of convert -l and measure -l (block/snapshot.c).
#include "guest/ops/snapshot_load.h"

#include "guest/formats/probe.h"

namespace instar {

namespace {

Status select(const abi::OpConfig& op, ImageDriver& image, Arena& arena) {
  if (op.snapshot_id_length > abi::kSnapshotSelectorMax ||
      op.snapshot_name_length > abi::kSnapshotSelectorMax) {
    return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  }
  const Bytes id(op.snapshot_id, op.snapshot_id_length);
  const Bytes name(op.snapshot_name, op.snapshot_name_length);
  switch (op.snapshot_select) {
    case abi::kSnapshotNone:
      return Status::Ok();
    case abi::kSnapshotIdAndName: {
      SnapshotSelector selector;
      selector.has_id = (op.snapshot_flags & abi::kSnapshotHasId) != 0;
      selector.id = selector.has_id ? id : Bytes();
      selector.has_name = (op.snapshot_flags & abi::kSnapshotHasName) != 0;
      selector.name = selector.has_name ? name : Bytes();
      // bdrv_snapshot_load_tmp()'s "snapshot_id and name are both NULL": the host never asks.
      if (!selector.has_id && !selector.has_name) {
        return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
      }
      return image.load_snapshot(selector, arena);
    }
    case abi::kSnapshotIdOrName: {
      SnapshotSelector by_id;
      by_id.has_id = true;
      by_id.id = name;
      const Status loaded = image.load_snapshot(by_id, arena);
      // Retried by name on -ENOENT and -EINVAL (an L1 offset qcow2_validate_table() refuses).
      if (loaded.code() != instar_guest_ErrorCode_ERROR_SNAPSHOT_NOT_FOUND &&
          loaded.code() != instar_guest_ErrorCode_ERROR_SNAPSHOT_L1_OFFSET_INVALID) {
        return loaded;
      }
      SnapshotSelector by_name;
      by_name.has_name = true;
      by_name.name = name;
      return image.load_snapshot(by_name, arena);
    }
    default:
      return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  }
}

}  // namespace

Status load_selected_snapshot(const abi::OpConfig& op, ImageDriver& image, abi::ImageFormat format,
                              Arena& arena) {
  const Status loaded = select(op, image, arena);
  if (loaded.code() == instar_guest_ErrorCode_ERROR_SNAPSHOT_LOAD_UNSUPPORTED) {
    const FormatDriver* driver = find_driver(format);
    return Status(loaded.code(), driver != nullptr ? uint64_t{driver->info_format} : uint64_t{0});
  }
  return loaded;
}

}  // namespace instar
