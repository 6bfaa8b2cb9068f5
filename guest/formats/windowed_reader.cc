// windowed_reader.cc: zero-filling reads and the read window used by the table walkers.
#include "guest/formats/windowed_reader.h"

#include <new>

#include "guest/lib/mem.h"

namespace instar {

Status read_zero_filled(BlockSource& source, uint64_t offset, MutableBytes out) {
  if (out.size == 0) return Status::Ok();
  const uint64_t device_size = source.size();
  uint64_t inside = 0;
  if (offset < device_size) {
    inside = device_size - offset;
    if (inside > out.size) inside = out.size;
  }
  if (inside > 0) INSTAR_TRY(source.read_at(offset, out.sub(0, inside)));
  fill_bytes(out.data + inside, 0, out.size - inside);
  return Status::Ok();
}

Status WindowedReader::read(uint64_t offset, MutableBytes out) {
  if (out.size == 0) return Status::Ok();
  // Requests larger than the window bypass it.
  if (out.size > window_.size) return read_zero_filled(source_, offset, out);
  const bool inside = window_filled_ != 0 && offset >= window_offset_ &&
                      offset - window_offset_ <= window_filled_ &&
                      out.size <= window_filled_ - (offset - window_offset_);
  if (!inside) {
    INSTAR_TRY(read_zero_filled(source_, offset, window_));
    window_offset_ = offset;
    window_filled_ = window_.size;
  }
  copy_bytes(out.data, window_.data + (offset - window_offset_), out.size);
  return Status::Ok();
}

WindowedReader* new_windowed_reader(BlockSource& source, Arena& arena, uint64_t window_bytes) {
  auto* window = arena.allocate_array<uint8_t>(window_bytes);
  void* memory = arena.allocate(sizeof(WindowedReader), alignof(WindowedReader));
  if (window == nullptr || memory == nullptr) return nullptr;
  return new (memory) WindowedReader(source, MutableBytes(window, window_bytes));
}

Status read_be64_entry(WindowedReader& reader, uint64_t table, uint64_t index, uint64_t* value) {
  uint8_t raw[8];
  INSTAR_TRY(reader.read(table + index * 8, MutableBytes(raw, sizeof raw)));
  *value = load_be64(raw);
  return Status::Ok();
}

}  // namespace instar
