// header.cc: qcow2 header decoding and the validation qcow2_do_open() performs on it.
#include "guest/formats/qcow2/header.h"

#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/lib/bytes.h"

namespace instar::qcow2 {

namespace {

constexpr Status error(instar_guest_ErrorCode code) {
  return Status(code);
}

// qcow2_validate_table(): a table of `entries` entries of `entry_len` bytes at `offset` must fit
// `max_bytes` and end below INT64_MAX, and start on a cluster boundary.
Status validate_table(const Header& h, uint64_t offset, uint64_t entries, uint64_t entry_len,
                      uint64_t max_bytes, instar_guest_ErrorCode too_large,
                      instar_guest_ErrorCode offset_invalid) {
  if (entries > max_bytes / entry_len) return error(too_large);
  // entries * entry_len <= max_bytes here, so neither the product nor the difference overflows.
  if (static_cast<uint64_t>(kInt64Max) - entries * entry_len < offset ||
      (offset & (h.cluster_size() - 1)) != 0) {
    return error(offset_invalid);
  }
  return Status::Ok();
}

// size_to_l1(): L1 entries needed for `size` bytes, with qemu's unsigned wrap-around kept.
uint64_t l1_entries_for(uint64_t size, uint32_t cluster_bits, uint32_t l2_bits) {
  const uint32_t shift = cluster_bits + l2_bits;
  return (size + (uint64_t{1} << shift) - 1) >> shift;
}

}  // namespace

bool Header::has_extended_l2() const {
  return (incompatible_features & kIncompatExtendedL2) != 0;
}

Header decode_header(const uint8_t* p) {
  Header h;
  h.magic = load_be32(p + 0);
  h.version = load_be32(p + 4);
  h.backing_file_offset = load_be64(p + 8);
  h.backing_file_size = load_be32(p + 16);
  h.cluster_bits = load_be32(p + 20);
  h.size = load_be64(p + 24);
  h.crypt_method = load_be32(p + 32);
  h.l1_size = load_be32(p + 36);
  h.l1_table_offset = load_be64(p + 40);
  h.refcount_table_offset = load_be64(p + 48);
  h.refcount_table_clusters = load_be32(p + 56);
  h.nb_snapshots = load_be32(p + 60);
  h.snapshots_offset = load_be64(p + 64);
  if (h.version == 2) {
    h.refcount_order = 4;
    h.header_length = kV2HeaderLength;
  } else {
    h.incompatible_features = load_be64(p + 72);
    h.compatible_features = load_be64(p + 80);
    h.autoclear_features = load_be64(p + 88);
    h.refcount_order = load_be32(p + 96);
    h.header_length = load_be32(p + 100);
  }
  h.compression_type =
      h.header_length > kCompressionTypeOffset ? p[kCompressionTypeOffset] : kCompressionZlib;
  return h;
}

Status check_header_basics(const Header& h) {
  if (h.magic != kMagic) return error(instar_guest_ErrorCode_ERROR_NOT_QCOW2);
  if (h.version < 2 || h.version > 3) {
    return Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_VERSION, h.version);
  }
  if (h.cluster_bits < kMinClusterBits || h.cluster_bits > kMaxClusterBits) {
    return Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_CLUSTER_SIZE, h.cluster_bits);
  }
  if (h.version >= 3 && h.header_length < kMinV3HeaderLength) {
    return error(instar_guest_ErrorCode_ERROR_HEADER_TOO_SHORT);
  }
  if (h.header_length > h.cluster_size()) {
    return error(instar_guest_ErrorCode_ERROR_HEADER_EXCEEDS_CLUSTER);
  }
  if (h.backing_file_offset > h.cluster_size()) {
    return error(instar_guest_ErrorCode_ERROR_BACKING_FILE_OFFSET_INVALID);
  }
  // validate_compression_type()
  if (h.compression_type != kCompressionZlib && h.compression_type != kCompressionZstd) {
    return Status(instar_guest_ErrorCode_ERROR_UNKNOWN_COMPRESSION_TYPE, h.compression_type);
  }
  const bool bit = (h.incompatible_features & kIncompatCompression) != 0;
  if (h.compression_type == kCompressionZlib && bit) {
    return error(instar_guest_ErrorCode_ERROR_COMPRESSION_BIT_SET_FOR_ZLIB);
  }
  if (h.compression_type != kCompressionZlib && !bit) {
    return error(instar_guest_ErrorCode_ERROR_COMPRESSION_BIT_NOT_SET);
  }
  return Status::Ok();
}

Status validate_snapshot_table(const Header& h) {
  // Only the count and the offset here; the table's byte size is checked while reading it.
  return validate_table(h, h.snapshots_offset, h.nb_snapshots, kSnapshotHeaderSize,
                        kSnapshotHeaderSize * kMaxSnapshots,
                        instar_guest_ErrorCode_ERROR_SNAPSHOT_TABLE_TOO_LARGE,
                        instar_guest_ErrorCode_ERROR_SNAPSHOT_OFFSET_INVALID);
}

Status check_header_layout(const Header& h, OpenMode mode) {
  const uint64_t subcluster_size =
      h.cluster_size() / (h.has_extended_l2() ? kExtendedL2Subclusters : 1);
  if (subcluster_size < (uint64_t{1} << kMinClusterBits)) {
    return Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_SUBCLUSTER_SIZE, subcluster_size);
  }
  if (h.refcount_order > kMaxRefcountOrder) {
    return error(instar_guest_ErrorCode_ERROR_REFCOUNT_ORDER_TOO_LARGE);
  }
  if (h.refcount_table_clusters == 0 && mode != OpenMode::kCheck) {
    return error(instar_guest_ErrorCode_ERROR_NO_REFCOUNT_TABLE);
  }
  INSTAR_TRY(validate_table(h, h.refcount_table_offset, h.refcount_table_clusters, h.cluster_size(),
                            kMaxRefcountTableBytes,
                            instar_guest_ErrorCode_ERROR_REFCOUNT_TABLE_TOO_LARGE,
                            instar_guest_ErrorCode_ERROR_REFCOUNT_TABLE_OFFSET_INVALID));
  if (mode != OpenMode::kCheck) INSTAR_TRY(validate_snapshot_table(h));
  INSTAR_TRY(validate_table(h, h.l1_table_offset, h.l1_size, kL1EntrySize, kMaxL1SizeBytes,
                            instar_guest_ErrorCode_ERROR_L1_TOO_LARGE,
                            instar_guest_ErrorCode_ERROR_L1_OFFSET_INVALID));
  const uint32_t l2_bits = h.cluster_bits - (h.has_extended_l2() ? 4 : 3);
  const uint64_t l1_needed = l1_entries_for(h.size, h.cluster_bits, l2_bits);
  if (l1_needed > kIntMax) return error(instar_guest_ErrorCode_ERROR_IMAGE_TOO_LARGE);
  if (h.l1_size < l1_needed) return error(instar_guest_ErrorCode_ERROR_L1_TOO_SMALL);
  // qcow2_update_options_prepare(): any method but none/aes/luks.
  if (h.crypt_method > kCryptLuks) {
    return Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_ENCRYPTION, h.crypt_method);
  }
  return Status::Ok();
}

}  // namespace instar::qcow2
