// block_map.cc: lazy lookups in a VDI block map.
#include "guest/formats/vdi/block_map.h"

#include <new>

namespace instar::vdi {

namespace {

constexpr uint64_t kWindowBytes = 64 * 1024;  // 16384 entries: 16 GiB of guest data per refill

}  // namespace

Status BlockMap::open(BlockSource& source, const Header& header, Arena& arena) {
  auto* window = arena.allocate_array<uint8_t>(kWindowBytes);
  void* memory = arena.allocate(sizeof(WindowedReader), alignof(WindowedReader));
  if (window == nullptr || memory == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  reader_ = new (memory) WindowedReader(source, MutableBytes(window, kWindowBytes));
  offset_ = header.offset_bmap;
  blocks_ = header.blocks_in_image;
  return Status::Ok();
}

Status BlockMap::entry(uint32_t index, uint32_t* value) {
  if (index >= blocks_) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  uint8_t raw[4];
  INSTAR_TRY(reader_->read(offset_ + uint64_t{index} * 4, MutableBytes(raw, sizeof raw)));
  *value = load_le32(raw);
  return Status::Ok();
}

}  // namespace instar::vdi
