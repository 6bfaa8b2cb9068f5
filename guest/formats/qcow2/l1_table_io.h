// l1_table_io.h: an L1 table read into memory (host order) and written back, in 4 KiB pieces, for
// the in-place qcow2 changes (resize, snapshot).
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/host_file.h"
#include "guest/lib/arena.h"

namespace instar::qcow2 {

// The `size` entries at `offset`, in `arena` (at least one entry's room).
Result<uint64_t*> read_l1_table(HostFile& file, Arena& arena, uint64_t offset, uint64_t size);

// Entries [first, first + count) of `table` to the table at `offset`.
Status write_l1_entries(HostFile& file, const uint64_t* table, uint64_t offset, uint64_t first,
                        uint64_t count);

}  // namespace instar::qcow2
