// header_extensions.h: qcow2 header extensions between the header and the backing file name.
#pragma once

#include <stdint.h>

#include "guest/formats/luks/header.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Each extension (docs/interop/qcow2.txt "Header extensions"), big-endian:
//
//   byte 0 - 3: magic    0 ends the list
//        4 - 7: length   of the data
//        8 -  : data     padded to a multiple of 8 bytes
inline constexpr uint32_t kExtensionEnd = 0x00000000;
inline constexpr uint32_t kExtensionBackingFormat = 0xe2792aca;  // data: format name
inline constexpr uint32_t kExtensionFeatureTable = 0x6803f857;   // data: see feature_names.h
inline constexpr uint32_t kExtensionCryptoHeader = 0x0537be77;   // data: u64 offset, u64 length
inline constexpr uint32_t kExtensionBitmaps = 0x23852875;        // data: see below
inline constexpr uint32_t kExtensionDataFile = 0x44415441;       // data: file name
// Bitmaps extension data:
//   byte 0 - 3: nb_bitmaps   4 - 7: reserved (0)   8 - 15: directory size   16 - 23: directory
//   offset

// What the extensions say. Names are views into the caller's header buffer, cut at the first
// NUL because qemu keeps them as C strings.
struct HeaderExtensions {
  bool has_backing_format = false;
  Bytes backing_format;
  bool has_data_file = false;
  Bytes data_file;
  bool has_feature_table = false;
  Bytes feature_table;  // the whole extension data
  bool has_crypto_header = false;
  uint64_t crypto_header_offset = 0;
  uint64_t crypto_header_length = 0;
  bool has_luks = false;  // the LUKS header the crypto extension points at, opened and checked
  luks::Header luks;
  // Set only when the bitmaps extension is valid and autoclear bit 0 says it is current.
  uint32_t nb_bitmaps = 0;
  uint64_t bitmap_directory_size = 0;
  uint64_t bitmap_directory_offset = 0;
  // A bitmaps extension was skipped because autoclear bit 0 is clear (qemu warns).
  bool bitmaps_ignored = false;
};

// What qemu knows about the image when it walks the extensions.
// Opens the LUKS header a crypto header extension points at, where qcow2_read_extensions() does
// it (qcrypto_block_open() inside the walk, so its errors come before later extensions'):
// implemented by open_image() over the image.
class CryptoHeaderOpener {
 public:
  virtual Status open(uint64_t offset, uint64_t length, luks::Header* out) = 0;

 protected:
  ~CryptoHeaderOpener() = default;
};

struct ExtensionContext {
  uint32_t version = 0;
  uint64_t cluster_size = 0;
  uint32_t crypt_method = 0;  // 0 in qemu's early walk for the feature table (not yet set)
  uint64_t autoclear_features = 0;
  CryptoHeaderOpener* crypto = nullptr;  // nullptr: the LUKS header is not opened
};

// qcow2_read_extensions(): walks extensions from `start` while below `end`. `area` holds image
// bytes [0, area.size) with area.size >= end + 8 (zero-filled past EOF). Unknown magics are
// skipped; later duplicates replace earlier ones. Errors use qemu's texts (see guest.proto).
Status parse_header_extensions(Bytes area, uint64_t start, uint64_t end,
                               const ExtensionContext& context, HeaderExtensions* out);

}  // namespace instar::qcow2
