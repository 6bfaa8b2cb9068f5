// partition_table.h: recognising MBR and GPT disks, for the host's safe format detection.
#pragma once

#include "guest/lib/bytes.h"

namespace instar::raw {

// Master boot record (sector 0):
//   byte 446 - 509: four 16-byte partition entries
//                   entry byte 0: status (0x00 inactive, 0x80 bootable), byte 4: type (0 = unused)
//        510 - 511: signature 0x55 0xAA
// Plausible when the signature is there, every status byte is 0x00 or 0x80 and at least one entry
// is in use. Needs at least 512 bytes; shorter input is not an MBR.
bool looks_like_mbr(Bytes first_sector);

// GUID partition table: the header in LBA 1 (byte 512 with 512-byte sectors) starts with the
// signature "EFI PART". Needs at least 520 bytes.
bool has_gpt_header(Bytes head);

}  // namespace instar::raw
