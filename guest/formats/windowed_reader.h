// windowed_reader.h: image reads with qemu's beyond-EOF semantics, batched through one window.
#pragma once

#include <stdint.h>

#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar {

// Fills `out` with the image bytes at `offset`. Bytes past the end of the device read as zero:
// qemu's file driver zero-fills reads beyond EOF, so a truncated image parses as qemu sees it.
Status read_zero_filled(BlockSource& source, uint64_t offset, MutableBytes out);

// Serves many small reads of nearby metadata (snapshot entries, bitmap directory entries) from
// one large read into `window`, refilling it only when a request falls outside. Same zero-fill
// rule as read_zero_filled.
class WindowedReader {
 public:
  WindowedReader(BlockSource& source, MutableBytes window) : source_(source), window_(window) {}

  Status read(uint64_t offset, MutableBytes out);

 private:
  BlockSource& source_;
  MutableBytes window_;
  uint64_t window_offset_ = 0;
  uint64_t window_filled_ = 0;  // 0 until the first refill
};

// A WindowedReader over `source` with a window of `window_bytes`, both in `arena` (nullptr when
// the arena is exhausted): the table readers of the formats that read entries one at a time.
WindowedReader* new_windowed_reader(BlockSource& source, Arena& arena, uint64_t window_bytes);

// The big-endian u64 entry `index` of the table at `table`, through `reader`.
Status read_be64_entry(WindowedReader& reader, uint64_t table, uint64_t index, uint64_t* value);

}  // namespace instar
