// in_place_image.cc: the qcow2 states an in-place op refuses before writing.
#include "guest/ops/in_place_image.h"

#include "guest/formats/probe.h"
#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/raw/raw_driver.h"
#include "guest/formats/windowed_reader.h"
#include "guest/ops/input_chain.h"

namespace instar {

InPlaceTarget in_place_target(const abi::OpConfig& op, BlockSource* const* devices,
                              BlockSink* const* sinks, uint32_t device_count, Arena& arena) {
  InPlaceTarget t;
  const uint32_t out = op.output_device;
  t.names = static_cast<ErrorNames*>(arena.allocate(sizeof(ErrorNames), alignof(ErrorNames)));
  if (t.names == nullptr) {
    t.failure = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  } else if (!valid_device(out, devices, device_count) || sinks == nullptr ||
             sinks[out] == nullptr) {
    t.failure = Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, out);
  } else {
    t.names->clear();
    t.device = devices[out];
    t.sink = sinks[out];
  }
  return t;
}

Result<const FormatDriver*> select_in_place_driver(BlockSource& source, abi::ImageFormat requested,
                                                   Arena& arena, instar_guest_RawHead* raw_head) {
  uint8_t* head = arena.allocate_array<uint8_t>(kProbeSize);
  if (head == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(head, kProbeSize)));
  Result<const FormatDriver*> driver = select_driver(requested, Bytes(head, kProbeSize));
  if (driver.ok() && driver.value()->format == abi::ImageFormat::kRaw &&
      requested == abi::ImageFormat::kProbe) {
    *raw_head = raw::classify_raw_head(Bytes(head, kProbeSize));
  }
  return driver;
}

Status open_in_place_qcow2(BlockSource& source, Arena& arena, ErrorNames* names,
                           qcow2::OpenScratch* scratch) {
  INSTAR_TRY(qcow2::allocate_open_scratch(source, arena, scratch));
  INSTAR_TRY(qcow2::open_image(source, arena, scratch->tables, scratch->metadata, names));
  names->clear();
  return Status::Ok();
}

InPlaceRefusal in_place_refusal(const qcow2::Metadata& m) {
  const qcow2::Header& h = m.header;
  if (m.extensions.has_data_file || (h.incompatible_features & qcow2::kIncompatDataFile) != 0) {
    return kInPlaceDataFile;
  }
  if (m.extensions.nb_bitmaps != 0 || m.extensions.bitmaps_ignored) return kInPlaceBitmaps;
  if (h.autoclear_features != 0) return kInPlaceAutoclear;
  if ((h.incompatible_features & qcow2::kIncompatDirty) != 0) return kInPlaceDirty;
  if ((h.incompatible_features & qcow2::kIncompatCorrupt) != 0) return kInPlaceCorrupt;
  return kInPlaceSupported;
}

}  // namespace instar
