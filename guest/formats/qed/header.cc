// header.cc: decoding and bdrv_qed_do_open()'s validation of the QED header; bdrv_qed_probe().
#include "guest/formats/qed/header.h"

namespace instar::qed {

namespace {

bool power_of_two(uint32_t v) {
  return (v & (v - 1)) == 0;
}

// qed_max_image_size(): in qemu's integer types, so a large geometry wraps (to 0 for the
// largest ones, which then refuse every non-zero size) exactly as qemu's does.
uint64_t max_image_size(uint32_t cluster_size, uint32_t table_size) {
  const uint64_t table_entries = static_cast<uint32_t>(table_size * cluster_size) / 8;
  const uint64_t l2_size = table_entries * cluster_size;
  return l2_size * table_entries;
}

uint32_t log2_of(uint64_t v) {
  uint32_t n = 0;
  while (v > 1) v >>= 1, ++n;
  return n;
}

}  // namespace

Header decode_header(Bytes bytes) {
  Header h;
  if (bytes.size < kHeaderBytes) return h;
  const uint8_t* p = bytes.data;
  h.magic = load_le32(p + 0x00);
  h.cluster_size = load_le32(p + 0x04);
  h.table_size = load_le32(p + 0x08);
  h.header_size = load_le32(p + 0x0c);
  h.features = load_le64(p + 0x10);
  h.compat_features = load_le64(p + 0x18);
  h.autoclear_features = load_le64(p + 0x20);
  h.l1_table_offset = load_le64(p + 0x28);
  h.image_size = load_le64(p + 0x30);
  h.backing_filename_offset = load_le32(p + 0x38);
  h.backing_filename_size = load_le32(p + 0x3c);
  return h;
}

bool valid_cluster_offset(const Header& header, const Geometry& geometry, uint64_t offset) {
  if ((offset & (header.cluster_size - 1)) != 0) return false;
  return offset >= geometry.header_bytes && offset < geometry.file_size;
}

bool valid_table_offset(const Header& header, const Geometry& geometry, uint64_t offset) {
  const uint64_t end =
      offset + static_cast<uint32_t>((header.table_size - 1) * header.cluster_size);
  if (end <= offset) return false;  // qemu's overflow check, which a one-cluster table also fails
  return valid_cluster_offset(header, geometry, offset) &&
         valid_cluster_offset(header, geometry, end);
}

uint64_t bytes_to_clusters(const Header& header, uint64_t bytes) {
  const uint64_t rounded = (bytes + (header.cluster_size - 1)) & ~uint64_t{header.cluster_size - 1};
  return rounded / (header.cluster_size - 1);
}

Status validate(const Header& h, uint64_t file_length, Geometry* g) {
  if (h.magic != kMagic) return Status(instar_guest_ErrorCode_ERROR_QED_NOT_QED);
  if ((h.features & ~kFeatureMask) != 0) {
    return Status(instar_guest_ErrorCode_ERROR_QED_UNSUPPORTED_FEATURES,
                  h.features & ~kFeatureMask);
  }
  if (h.cluster_size < kMinClusterSize || h.cluster_size > kMaxClusterSize ||
      !power_of_two(h.cluster_size)) {
    return Status(instar_guest_ErrorCode_ERROR_QED_CLUSTER_SIZE);
  }
  Geometry out;
  // bdrv_getlength() of the file: its length rounded up to a sector (the block layer counts
  // sectors), then rounded down to a cluster.
  const uint64_t sectors = file_length / 512 + (file_length % 512 != 0);
  out.file_size = (sectors * 512) & ~uint64_t{h.cluster_size - 1};
  if (h.table_size < kMinTableSize || h.table_size > kMaxTableSize || !power_of_two(h.table_size)) {
    return Status(instar_guest_ErrorCode_ERROR_QED_TABLE_SIZE);
  }
  if (h.image_size % 512 != 0 || h.image_size > max_image_size(h.cluster_size, h.table_size)) {
    return Status(instar_guest_ErrorCode_ERROR_QED_IMAGE_SIZE);
  }
  // qed_check_cluster_offset() reads header_size * cluster_size as a 64-bit product.
  out.header_bytes = uint64_t{h.header_size} * h.cluster_size;
  if (!valid_table_offset(h, out, h.l1_table_offset)) {
    return Status(instar_guest_ErrorCode_ERROR_QED_TABLE_OFFSET);
  }
  out.table_nelems = uint64_t{h.cluster_size} * h.table_size / 8;
  out.l2_shift = log2_of(h.cluster_size);
  out.l1_shift = out.l2_shift + log2_of(out.table_nelems);
  if (h.header_size > UINT32_MAX / h.cluster_size) {
    return Status(instar_guest_ErrorCode_ERROR_QED_HEADER_SIZE);
  }
  if ((h.features & kFeatureBackingFile) != 0) {
    if (uint64_t{h.backing_filename_offset} + h.backing_filename_size > out.header_bytes) {
      return Status(instar_guest_ErrorCode_ERROR_QED_BACKING_NAME_OFFSET);
    }
    if (h.backing_filename_size >= kBackingNameBuffer) {
      return Status(instar_guest_ErrorCode_ERROR_QED_BACKING_NAME_READ);
    }
  }
  *g = out;
  return Status::Ok();
}

int probe(Bytes head) {
  if (head.size < kHeaderBytes) return 0;
  return load_le32(head.data) == kMagic ? 100 : 0;
}

}  // namespace instar::qed
