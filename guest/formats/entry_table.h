// entry_table.h: a table of u32 entries in an image file (a vdi block map, a vpc BAT), read
// lazily through one window where qemu reads the whole table into memory at open.
#pragma once

#include <stdint.h>

#include "guest/formats/windowed_reader.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar {

// `count` u32 entries at `offset`, zero-filled past EOF as qemu's bdrv_pread() gives them, so an
// entry past the end of the file is 0, as qemu sees it.
class EntryTable {
 public:
  enum class Order { kLittleEndian, kBigEndian };

  Status open(BlockSource& source, uint64_t offset, uint32_t count, Order order, Arena& arena);
  uint32_t count() const { return count_; }
  // The entry at `index` (< count()).
  Status entry(uint32_t index, uint32_t* value);

 private:
  WindowedReader* reader_ = nullptr;
  uint64_t offset_ = 0;
  uint32_t count_ = 0;
  Order order_ = Order::kLittleEndian;
};

}  // namespace instar
