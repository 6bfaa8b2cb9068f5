// bitmap_directory.h: the persistent dirty bitmap directory, checked as qemu 7.2 loads it.
#pragma once

#include <stdint.h>

#include "guest/formats/windowed_reader.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Bitmap directory entry (docs/interop/qcow2.txt "Bitmap directory"), big-endian, each entry
// padded to a multiple of 8 bytes:
//
//   byte  0 -  7: bitmap_table_offset   cluster aligned, not 0
//         8 - 11: bitmap_table_size     entries (8 bytes each), not 0
//        12 - 15: flags                 bit 0 in_use, bit 1 auto, others reserved
//        16     : type                  1 = dirty tracking bitmap
//        17     : granularity_bits      9..31
//        18 - 19: name_size             at most 1023
//        20 - 23: extra_data_size       qemu supports only 0
//        24 -   : extra data, then the name (no NUL)
struct BitmapDirectoryEntry {
  uint64_t bitmap_table_offset = 0;
  uint32_t bitmap_table_size = 0;
  uint32_t flags = 0;
  uint8_t type = 0;
  uint8_t granularity_bits = 0;
  uint16_t name_size = 0;
  uint32_t extra_data_size = 0;
};

inline constexpr uint64_t kBitmapDirectoryEntrySize = 24;
inline constexpr uint32_t kBitmapFlagInUse = 1u << 0;
inline constexpr uint32_t kBitmapFlagAuto = 1u << 1;
inline constexpr uint32_t kBitmapReservedFlags = 0xfffffffcu;
inline constexpr uint8_t kBitmapTypeDirtyTracking = 1;
inline constexpr uint32_t kBitmapMinGranularityBits = 9;    // BME_MIN_GRANULARITY_BITS
inline constexpr uint32_t kBitmapMaxGranularityBits = 31;   // BME_MAX_GRANULARITY_BITS
inline constexpr uint32_t kBitmapMaxNameSize = 1023;        // BME_MAX_NAME_SIZE
inline constexpr uint32_t kBitmapMaxTableSize = 0x8000000;  // BME_MAX_TABLE_SIZE
inline constexpr uint64_t kBitmapMaxPhysSize = 0x20000000;  // BME_MAX_PHYS_SIZE

BitmapDirectoryEntry decode_bitmap_directory_entry(const uint8_t* bytes);

// check_dir_entry(): the entry's fields against the limits and the image's virtual size.
bool bitmap_entry_satisfies_constraints(const BitmapDirectoryEntry& entry, uint64_t cluster_size,
                                        uint64_t virtual_size);

// One directory entry as info reports it.
struct Bitmap {
  Bytes name;  // up to the first NUL; valid until the next call to next()
  uint8_t granularity_bits = 0;
  uint32_t flags = 0;
};

// Scratch a BitmapDirectoryReader needs for a name (name_size is 16 bits).
inline constexpr uint64_t kBitmapNameScratchSize = 65535;

// bitmap_list_load(): walks the directory of `size` bytes at `offset`, expecting `nb_bitmaps`
// entries. Use: start(), then next() while !at_end(), then finish(). Errors, in qemu's order:
// ERROR_BITMAP_DIRECTORY_SIZE_ZERO / _TOO_LARGE, _BROKEN, ERROR_BITMAPS_MORE_THAN_HEADER,
// ERROR_BITMAP_EXTRA_DATA, ERROR_BITMAP_CONSTRAINTS (name in constraint_failure_name()),
// ERROR_BITMAPS_LESS_THAN_HEADER.
class BitmapDirectoryReader {
 public:
  BitmapDirectoryReader(WindowedReader& reader, uint64_t offset, uint64_t size, uint32_t nb_bitmaps,
                        uint64_t cluster_size, uint64_t virtual_size, MutableBytes scratch)
      : reader_(reader),
        offset_(offset),
        size_(size),
        nb_bitmaps_(nb_bitmaps),
        cluster_size_(cluster_size),
        virtual_size_(virtual_size),
        scratch_(scratch) {}

  Status start() const;
  bool at_end() const { return position_ >= size_; }
  Status next(Bitmap* out);
  Status finish() const;
  Bytes constraint_failure_name() const { return failure_name_; }

 private:
  WindowedReader& reader_;
  uint64_t offset_;
  uint64_t size_;
  uint32_t nb_bitmaps_;
  uint64_t cluster_size_;
  uint64_t virtual_size_;
  MutableBytes scratch_;
  uint64_t position_ = 0;
  uint32_t entries_ = 0;
  Bytes failure_name_;
};

}  // namespace instar::qcow2
