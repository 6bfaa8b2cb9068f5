// bat.h: vpc_open()'s reading of a VHD dynamic disk's block allocation table: the read's checks
// and the scan for the end of the allocated data, which must lie inside the file.
#pragma once

#include <stdint.h>

#include "guest/formats/entry_table.h"
#include "guest/formats/vpc/dynamic_header.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::vpc {

// vpc_open() from the BAT read on: bdrv_pread()'s checks of the read's size and range ("Error
// reading pagetable"), then free_data_block_offset, the end of the BAT or of the furthest
// allocated block, which must not lie past the end of the file (its length rounded up to a
// sector, as bdrv_getlength() gives it). `bat` is then the table of max_table_entries big-endian
// entries at table_offset.
Status open_bat(BlockSource& source, const DynamicHeader& header, Arena& arena, EntryTable* bat);

}  // namespace instar::vpc
