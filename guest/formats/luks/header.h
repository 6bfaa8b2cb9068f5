// header.h: the LUKS v1 partition header (cryptsetup's on-disk-format 1.2.1), decoded and checked
// as qemu 7.2's crypto/block-luks.c opens it without unlocking a key (QCRYPTO_BLOCK_OPEN_NO_IO).
//
//   offset size  field (big-endian)
//        0    6  magic "LUKS\xba\xbe"
//        6    2  version (1)
//        8   32  cipher_name    "aes", "cast5", "serpent", "twofish"
//       40   32  cipher_mode    "<mode>-<ivgen>[:<ivhash>]", e.g. "xts-plain64", "cbc-essiv:sha256"
//       72   32  hash_spec      "sha256", ...
//      104    4  payload_offset_sector
//      108    4  master_key_len (bytes; both halves for xts)
//      112   20  master_key_digest
//      132   32  master_key_salt
//      164    4  master_key_iterations
//      168   40  uuid (ASCII)
//      208  8x48 key slots: u32 active (0x00AC71F3 enabled, 0x0000DEAD disabled), u32 iterations,
//                 32 salt, u32 key_offset_sector, u32 stripes
//      592       end
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/error_names.h"
#include "guest/lib/status.h"

namespace instar::luks {

inline constexpr uint64_t kHeaderSize = 592;
inline constexpr uint32_t kKeySlots = 8;
inline constexpr uint32_t kSlotEnabled = 0x00AC71F3;
inline constexpr uint32_t kSlotDisabled = 0x0000DEAD;
inline constexpr uint64_t kSectorSize = 512;
inline constexpr uint64_t kUuidSize = 40;

struct KeySlot {
  uint32_t active = 0;
  uint32_t iterations = 0;
  uint32_t key_offset_sector = 0;
  uint32_t stripes = 0;
};

// What qemu's qcrypto_block_luks_get_info() reports, once the header passed every check: the
// algorithms as guest.proto's enums of qemu's QAPI values; uuid holds the raw 40 bytes, which
// info shows up to the first NUL.
struct Header {
  uint32_t payload_offset_sector = 0;
  uint32_t master_key_len = 0;
  uint32_t master_key_iterations = 0;
  uint8_t uuid[kUuidSize] = {};
  KeySlot slots[kKeySlots];
  instar_guest_LuksCipherAlg cipher_alg = instar_guest_LuksCipherAlg_LUKS_CIPHER_UNSPECIFIED;
  instar_guest_LuksCipherMode cipher_mode = instar_guest_LuksCipherMode_LUKS_MODE_UNSPECIFIED;
  instar_guest_LuksIvgenAlg ivgen_alg = instar_guest_LuksIvgenAlg_LUKS_IVGEN_UNSPECIFIED;
  // essiv only; else LUKS_HASH_UNSPECIFIED
  instar_guest_LuksHashAlg ivgen_hash_alg = instar_guest_LuksHashAlg_LUKS_HASH_UNSPECIFIED;
  instar_guest_LuksHashAlg hash_alg = instar_guest_LuksHashAlg_LUKS_HASH_UNSPECIFIED;
};

// Decodes the kHeaderSize bytes of `raw` and runs qemu 7.2's checks in its order
// (qcrypto_block_luks_check_header with the 7.2 hardening: NUL-terminated names, iteration
// counts, 4000 stripes, slots clear of the header; then _parse_header). Errors are ERROR_LUKS_*;
// for those whose text quotes a header string (guest.proto says which), `names` gets it.
Status decode_header(Bytes raw, Header* out, ErrorNames* names);

}  // namespace instar::luks
