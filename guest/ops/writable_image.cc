// writable_image.cc: the probe and the read-write open checks of the in-place ops.
#include "guest/ops/writable_image.h"

#include "guest/formats/probe.h"
#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/raw/raw_driver.h"
#include "guest/ops/input_chain.h"

namespace instar {

Result<ProbedImage> probe_image(BlockSource& source, abi::ImageFormat requested, Arena& arena) {
  uint8_t* head = arena.allocate_array<uint8_t>(kProbeSize);
  if (head == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(head, kProbeSize)));
  Result<const FormatDriver*> driver = select_driver(requested, Bytes(head, kProbeSize));
  if (!driver.ok()) return driver.status();
  ProbedImage probed;
  probed.format = driver.value()->format;
  if (probed.format == abi::ImageFormat::kRaw && requested == abi::ImageFormat::kProbe) {
    probed.raw_head = raw::classify_raw_head(Bytes(head, kProbeSize));
  }
  return probed;
}

ReadWriteObstacle read_write_obstacle(const qcow2::Metadata& m) {
  const qcow2::Header& h = m.header;
  if (m.extensions.has_data_file || (h.incompatible_features & qcow2::kIncompatDataFile) != 0) {
    return kObstacleDataFile;
  }
  if (m.extensions.nb_bitmaps != 0 || m.extensions.bitmaps_ignored) return kObstacleBitmaps;
  if (h.autoclear_features != 0) return kObstacleAutoclear;
  if ((h.incompatible_features & qcow2::kIncompatDirty) != 0) return kObstacleDirty;
  if ((h.incompatible_features & qcow2::kIncompatCorrupt) != 0) return kObstacleCorrupt;
  return kNoObstacle;
}

}  // namespace instar
