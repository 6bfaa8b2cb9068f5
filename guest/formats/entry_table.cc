// entry_table.cc: lazy lookups in a table of u32 entries.
#include "guest/formats/entry_table.h"

#include <new>

namespace instar {

namespace {

constexpr uint64_t kWindowBytes = 64 * 1024;  // 16384 entries per refill

}  // namespace

Status EntryTable::open(BlockSource& source, uint64_t offset, uint32_t count, Order order,
                        Arena& arena) {
  auto* window = arena.allocate_array<uint8_t>(kWindowBytes);
  void* memory = arena.allocate(sizeof(WindowedReader), alignof(WindowedReader));
  if (window == nullptr || memory == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  reader_ = new (memory) WindowedReader(source, MutableBytes(window, kWindowBytes));
  offset_ = offset;
  count_ = count;
  order_ = order;
  return Status::Ok();
}

Status EntryTable::entry(uint32_t index, uint32_t* value) {
  if (index >= count_) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  uint8_t raw[4];
  INSTAR_TRY(reader_->read(offset_ + uint64_t{index} * 4, MutableBytes(raw, sizeof raw)));
  *value = order_ == Order::kBigEndian ? load_be32(raw) : load_le32(raw);
  return Status::Ok();
}

}  // namespace instar
