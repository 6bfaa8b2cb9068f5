// header.cc: decoding and qcow_open()'s validation of the qcow (v1) header; qemu's qcow_probe().
#include "guest/formats/qcow/header.h"

namespace instar::qcow {

namespace {

constexpr uint8_t kMinClusterBits = 9;   // 512 bytes
constexpr uint8_t kMaxClusterBits = 16;  // 64 KiB
constexpr uint8_t kMinL2Bits = 9 - 3;    // L2 tables of 512 bytes to 64 KiB
constexpr uint8_t kMaxL2Bits = 16 - 3;
constexpr uint64_t kMaxL1Entries = 0x7fffffff / 8;  // INT_MAX / sizeof(uint64_t)

// bdrv_pread()'s request check: the range must end at or before BDRV_MAX_LENGTH.
bool readable(uint64_t offset, uint64_t bytes) {
  return offset <= kMaxLength && bytes <= kMaxLength - offset;
}

}  // namespace

Header decode_header(Bytes bytes) {
  Header h;
  if (bytes.size < kHeaderBytes) return h;
  const uint8_t* p = bytes.data;
  h.magic = load_be32(p);
  h.version = load_be32(p + 0x04);
  h.backing_file_offset = load_be64(p + 0x08);
  h.backing_file_size = load_be32(p + 0x10);
  h.size = load_be64(p + 0x18);
  h.cluster_bits = p[0x20];
  h.l2_bits = p[0x21];
  h.crypt_method = load_be32(p + 0x24);
  h.l1_table_offset = load_be64(p + 0x28);
  return h;
}

Status validate(const Header& h, bool no_io, Geometry* g) {
  if (h.magic != kMagic) return Status(instar_guest_ErrorCode_ERROR_QCOW1_NOT_QCOW);
  if (h.version != kVersion) return Status(instar_guest_ErrorCode_ERROR_QCOW1_VERSION, h.version);
  if (h.size <= 1) return Status(instar_guest_ErrorCode_ERROR_QCOW1_SIZE_TOO_SMALL);
  if (h.cluster_bits < kMinClusterBits || h.cluster_bits > kMaxClusterBits) {
    return Status(instar_guest_ErrorCode_ERROR_QCOW1_CLUSTER_SIZE);
  }
  if (h.l2_bits < kMinL2Bits || h.l2_bits > kMaxL2Bits) {
    return Status(instar_guest_ErrorCode_ERROR_QCOW1_L2_SIZE);
  }
  if (h.crypt_method > kCryptAes) return Status(instar_guest_ErrorCode_ERROR_QCOW1_CRYPT_METHOD);
  // qcrypto_block_qcow_open() skips the key for a BDRV_O_NO_IO open (info) only.
  if (h.crypt_method == kCryptAes && !no_io) {
    return Status(instar_guest_ErrorCode_ERROR_ENCRYPTION_KEY_REQUIRED);
  }
  const uint32_t shift = uint32_t{h.cluster_bits} + h.l2_bits;  // at most 29
  const uint64_t span = uint64_t{1} << shift;
  if (h.size > UINT64_MAX - span) return Status(instar_guest_ErrorCode_ERROR_QCOW1_TOO_LARGE);
  const uint64_t l1_entries = (h.size + span - 1) >> shift;
  if (l1_entries > kMaxL1Entries) return Status(instar_guest_ErrorCode_ERROR_QCOW1_TOO_LARGE);
  g->cluster_size = uint64_t{1} << h.cluster_bits;
  g->l2_entries = uint64_t{1} << h.l2_bits;
  g->l1_entries = static_cast<uint32_t>(l1_entries);
  g->length = h.size / 512 * 512;
  // The L1 table is read whole at open (zeros past EOF); the backing name too.
  if (!readable(h.l1_table_offset, l1_entries * 8)) {
    return Status(instar_guest_ErrorCode_ERROR_SMALL_OPEN_EIO);
  }
  if (h.backing_file_offset != 0) {
    if (h.backing_file_size > kMaxBackingName) {
      return Status(instar_guest_ErrorCode_ERROR_QCOW1_BACKING_NAME_TOO_LONG);
    }
    if (!readable(h.backing_file_offset, h.backing_file_size)) {
      return Status(instar_guest_ErrorCode_ERROR_SMALL_OPEN_EIO);
    }
  }
  return Status::Ok();
}

CompressedExtent compressed_extent(uint64_t entry, uint8_t cluster_bits) {
  // decompress_cluster(): the offset below bit 63 - cluster_bits, the size above it (its top
  // bit, the compressed flag, masked off by cluster_size - 1).
  const uint32_t size_shift = 63u - cluster_bits;
  CompressedExtent e;
  e.offset = entry & ((uint64_t{1} << size_shift) - 1);
  e.size = (entry >> size_shift) & ((uint64_t{1} << cluster_bits) - 1);
  return e;
}

int probe(Bytes head) {
  if (head.size < kHeaderBytes) return 0;
  return load_be32(head.data) == kMagic && load_be32(head.data + 4) == kVersion ? 100 : 0;
}

}  // namespace instar::qcow
