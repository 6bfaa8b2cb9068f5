// header.cc: decoding and vdi_open()'s validation of the VDI header; qemu's vdi_probe().
#include "guest/formats/vdi/header.h"

namespace instar::vdi {

namespace {

constexpr uint64_t kSignatureAt = 0x40;
constexpr uint64_t kVersionAt = 0x44;
constexpr uint64_t kImageTypeAt = 0x4c;
constexpr uint64_t kOffsetBmapAt = 0x154;
constexpr uint64_t kOffsetDataAt = 0x158;
constexpr uint64_t kSectorSizeAt = 0x168;
constexpr uint64_t kDiskSizeAt = 0x170;
constexpr uint64_t kBlockSizeAt = 0x178;
constexpr uint64_t kBlocksInImageAt = 0x180;
constexpr uint64_t kBlocksAllocatedAt = 0x184;
constexpr uint64_t kUuidLinkAt = 0x1a8;
constexpr uint64_t kUuidParentAt = 0x1b8;
constexpr uint64_t kUuidSize = 16;

bool all_zero(const uint8_t* p, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

Header decode_header(Bytes sector) {
  Header h;
  if (sector.size < kHeaderSize) return h;
  const uint8_t* p = sector.data;
  h.signature = load_le32(p + kSignatureAt);
  h.version = load_le32(p + kVersionAt);
  h.image_type = load_le32(p + kImageTypeAt);
  h.offset_bmap = load_le32(p + kOffsetBmapAt);
  h.offset_data = load_le32(p + kOffsetDataAt);
  h.sector_size = load_le32(p + kSectorSizeAt);
  h.disk_size = load_le64(p + kDiskSizeAt);
  h.block_size = load_le32(p + kBlockSizeAt);
  h.blocks_in_image = load_le32(p + kBlocksInImageAt);
  h.blocks_allocated = load_le32(p + kBlocksAllocatedAt);
  h.link_uuid_null = all_zero(p + kUuidLinkAt, kUuidSize);
  h.parent_uuid_null = all_zero(p + kUuidParentAt, kUuidSize);
  return h;
}

Status validate(Header* h) {
  if (h->disk_size > kMaxDiskSize) {
    return Status(instar_guest_ErrorCode_ERROR_VDI_DISK_SIZE_TOO_LARGE, h->disk_size, kMaxDiskSize);
  }
  // 'VBoxManage convertfromraw' writes odd sizes; qemu rounds them up (no overflow: <= max).
  h->disk_size = (h->disk_size + kSectorSize - 1) / kSectorSize * kSectorSize;
  if (h->signature != kSignature) {
    return Status(instar_guest_ErrorCode_ERROR_VDI_BAD_SIGNATURE, h->signature);
  }
  if (h->version != kVersion11) {
    return Status(instar_guest_ErrorCode_ERROR_VDI_VERSION, h->version >> 16, h->version & 0xffff);
  }
  if (h->offset_bmap % kSectorSize != 0) {
    return Status(instar_guest_ErrorCode_ERROR_VDI_BMAP_UNALIGNED, h->offset_bmap);
  }
  if (h->offset_data % kSectorSize != 0) {
    return Status(instar_guest_ErrorCode_ERROR_VDI_DATA_UNALIGNED, h->offset_data);
  }
  if (h->sector_size != kSectorSize) {
    return Status(instar_guest_ErrorCode_ERROR_VDI_SECTOR_SIZE, h->sector_size);
  }
  if (h->block_size != kBlockSize) {
    return Status(instar_guest_ErrorCode_ERROR_VDI_BLOCK_SIZE, h->block_size);
  }
  const uint64_t room = uint64_t{h->blocks_in_image} * h->block_size;
  if (h->disk_size > room) {
    return Status(instar_guest_ErrorCode_ERROR_VDI_DISK_SIZE_VS_BLOCKS, h->disk_size, room);
  }
  if (!h->link_uuid_null) return Status(instar_guest_ErrorCode_ERROR_VDI_LINK_UUID);
  if (!h->parent_uuid_null) return Status(instar_guest_ErrorCode_ERROR_VDI_PARENT_UUID);
  if (h->blocks_in_image > kMaxBlocks) {
    return Status(instar_guest_ErrorCode_ERROR_VDI_TOO_MANY_BLOCKS, h->blocks_in_image, kMaxBlocks);
  }
  return Status::Ok();
}

uint64_t block_map_bytes(const Header& header) {
  const uint64_t bytes = uint64_t{header.blocks_in_image} * 4;
  return (bytes + kSectorSize - 1) / kSectorSize * kSectorSize;
}

int probe(Bytes head) {
  if (head.size < kHeaderSize) return 0;
  return load_le32(head.data + kSignatureAt) == kSignature ? 100 : 0;
}

}  // namespace instar::vdi
