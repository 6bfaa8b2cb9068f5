// l1_table_io.cc: L1 table reads and writes through a bounded stack buffer.
#include "guest/formats/qcow2/l1_table_io.h"

#include "guest/lib/bytes.h"

namespace instar::qcow2 {

namespace {
constexpr uint64_t kChunk = 512;  // entries per read or write
}  // namespace

Result<uint64_t*> read_l1_table(HostFile& file, Arena& arena, uint64_t offset, uint64_t size) {
  uint64_t* table = arena.allocate_array<uint64_t>(size == 0 ? 1 : size);
  if (table == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  uint8_t raw[kChunk * 8];
  for (uint64_t i = 0; i < size; i += kChunk) {
    const uint64_t n = size - i < kChunk ? size - i : kChunk;
    INSTAR_TRY(file.read(offset + i * 8, MutableBytes(raw, n * 8)));
    for (uint64_t k = 0; k < n; ++k) table[i + k] = load_be64(raw + k * 8);
  }
  return table;
}

Status write_l1_entries(HostFile& file, const uint64_t* table, uint64_t offset, uint64_t first,
                        uint64_t count) {
  uint8_t raw[kChunk * 8];
  for (uint64_t i = first; i < first + count; i += kChunk) {
    const uint64_t n = first + count - i < kChunk ? first + count - i : kChunk;
    for (uint64_t k = 0; k < n; ++k) store_be64(raw + k * 8, table[i + k]);
    INSTAR_TRY(file.write(offset + i * 8, Bytes(raw, n * 8)));
  }
  return Status::Ok();
}

}  // namespace instar::qcow2
