// table_cache.cc: least-recently-used slots of cluster-sized tables with write-back.
#include "guest/formats/qcow2/table_cache.h"

#include "guest/lib/mem.h"

namespace instar::qcow2 {

Status TableCache::init(Arena& arena, HostFile& file, uint32_t slots, uint64_t table_size) {
  file_ = &file;
  nslots_ = slots;
  table_size_ = table_size;
  slots_ = arena.allocate_array<Slot>(slots);
  tables_ = static_cast<uint8_t*>(arena.allocate(uint64_t{slots} * table_size, 64));
  if (slots_ == nullptr || tables_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  for (uint32_t i = 0; i < slots; ++i) slots_[i] = Slot{0, 0, false, false};
  return Status::Ok();
}

uint8_t* TableCache::lookup(uint64_t offset) {
  for (uint32_t i = 0; i < nslots_; ++i) {
    if (slots_[i].used && slots_[i].offset == offset) {
      slots_[i].last_use = ++clock_;
      return data(i);
    }
  }
  return nullptr;
}

Status TableCache::write_back(Slot& slot, uint32_t index) {
  if (!slot.dirty) return Status::Ok();
  if (dependency_ != nullptr) {
    INSTAR_TRY(dependency_->flush());
    INSTAR_TRY(file_->flush());
    dependency_ = nullptr;
  }
  INSTAR_TRY(file_->write(slot.offset, Bytes(data(index), table_size_)));
  slot.dirty = false;
  return Status::Ok();
}

Result<uint32_t> TableCache::take_slot(uint64_t offset) {
  uint32_t victim = 0;
  for (uint32_t i = 0; i < nslots_; ++i) {
    if (!slots_[i].used) {
      victim = i;
      break;
    }
    if (slots_[i].last_use < slots_[victim].last_use) victim = i;
  }
  if (slots_[victim].used) INSTAR_TRY(write_back(slots_[victim], victim));
  slots_[victim] = Slot{offset, ++clock_, true, false};
  return victim;
}

Result<uint8_t*> TableCache::get(uint64_t offset) {
  if (uint8_t* table = lookup(offset)) return table;
  Result<uint32_t> slot = take_slot(offset);
  if (!slot.ok()) return slot.status();
  Status s = file_->read(offset, MutableBytes(data(slot.value()), table_size_));
  if (!s.ok()) {
    slots_[slot.value()].used = false;
    return s;
  }
  return data(slot.value());
}

Result<uint8_t*> TableCache::get_empty(uint64_t offset) {
  uint8_t* table = lookup(offset);
  if (table == nullptr) {
    Result<uint32_t> slot = take_slot(offset);
    if (!slot.ok()) return slot.status();
    table = data(slot.value());
  }
  fill_bytes(table, 0, table_size_);
  return table;
}

void TableCache::mark_dirty(uint64_t offset) {
  for (uint32_t i = 0; i < nslots_; ++i) {
    if (slots_[i].used && slots_[i].offset == offset) slots_[i].dirty = true;
  }
}

void TableCache::discard(uint64_t offset) {
  for (uint32_t i = 0; i < nslots_; ++i) {
    if (slots_[i].used && slots_[i].offset == offset) slots_[i] = Slot{0, 0, false, false};
  }
}

Status TableCache::flush() {
  for (uint32_t i = 0; i < nslots_; ++i) {
    if (slots_[i].used) INSTAR_TRY(write_back(slots_[i], i));
  }
  return Status::Ok();
}

}  // namespace instar::qcow2
