// log.h: qemu 7.2's vhdx_parse_log() for a read-only open (block/vhdx-log.c): the log header
// checks, then the search for an active sequence of valid log entries. qemu refuses to open an
// image read-only when one exists (its log would have to be replayed); instar never replays.
#pragma once

#include <stdint.h>

#include "guest/formats/vhdx/structures.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::vhdx {

// A log entry header (VHDXLogEntryHeader, 64 bytes at the start of an entry, little-endian):
//   0x00 u32 signature "loge", 0x04 u32 checksum (CRC32C of the whole entry, this field zero),
//   0x08 u32 entry_length (a multiple of 4 KiB), 0x0c u32 tail, 0x10 u64 sequence_number (> 0),
//   0x18 u32 descriptor_count, 0x1c u32 reserved, 0x20 u8 log_guid[16] (the header's),
//   0x30 u64 flushed_file_offset, 0x38 u64 last_file_offset
// Descriptors (32 bytes each) follow the header, filling ceil((count + 2) / 128) 4 KiB sectors:
//   0x00 u32 signature "zero" or "desc", 0x04 u32 reserved/trailing bytes,
//   0x08 u64 zero_length (a multiple of 4 KiB for "zero") / leading bytes,
//   0x10 u64 file_offset (a multiple of 4 KiB), 0x18 u64 sequence_number (the entry's)
// then the entry's data sectors.
struct LogEntryHeader {
  uint32_t signature = 0;
  uint32_t checksum = 0;
  uint32_t entry_length = 0;
  uint64_t sequence = 0;
  uint32_t descriptor_count = 0;
  uint8_t log_guid[16] = {};
};

LogEntryHeader decode_log_entry_header(Bytes header);  // the first 64 bytes

// vhdx_log_hdr_is_valid() against a log of `log_length` bytes and the current header's log GUID.
bool log_entry_header_valid(const LogEntryHeader& h, uint32_t log_length, const uint8_t* guid);

// vhdx_log_desc_is_valid(): descriptor `d` (32 bytes) of the entry with sequence `sequence`.
bool log_descriptor_valid(Bytes d, uint64_t sequence);

// vhdx_compute_desc_sectors(): the 4 KiB sectors holding the header and `count` descriptors.
uint32_t descriptor_sectors(uint32_t count);

// vhdx_parse_log() opened read-only: Ok when there is no log to replay, ERROR_VHDX_LOG_REPLAY
// when there is, or qemu's failure (ERROR_VHDX_EINVAL for bad log fields or descriptors,
// ERROR_VHDX_EIO for reads past BDRV_MAX_LENGTH). Reads at most a bounded multiple of the log.
Status check_log(BlockSource& source, const Header& header);

}  // namespace instar::vhdx
