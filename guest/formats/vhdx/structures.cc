// structures.cc: VHDX header, region table, metadata table and geometry decoders, with
// vhdx_open()'s checks in qemu 7.2's order.
#include "guest/formats/vhdx/structures.h"

#include "guest/lib/mem.h"

namespace instar::vhdx {

namespace {

constexpr uint32_t kHeaderSignature = 0x64616568;            // "head"
constexpr uint32_t kRegionSignature = 0x69676572;            // "regi"
constexpr uint64_t kMetadataSignature = 0x617461646174656d;  // "metadata"
constexpr uint32_t kRegionRequired = 0x1;
constexpr uint32_t kMetadataRequired = 0x4;

// GUIDs as stored (the little-endian MSGUID layout).
constexpr uint8_t kBatGuid[16] = {0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
                                  0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08};
constexpr uint8_t kMetadataGuid[16] = {0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
                                       0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e};
constexpr uint8_t kFileParametersGuid[16] = {0x37, 0x67, 0xa1, 0xca, 0x36, 0xfa, 0x43, 0x4d,
                                             0xb3, 0xb6, 0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b};
constexpr uint8_t kVirtualSizeGuid[16] = {0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48,
                                          0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8};
constexpr uint8_t kPage83Guid[16] = {0xab, 0x12, 0xca, 0xbe, 0xe6, 0xb2, 0x23, 0x45,
                                     0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46};
constexpr uint8_t kLogicalSectorGuid[16] = {0x1d, 0xbf, 0x41, 0x81, 0x6f, 0xa9, 0x09, 0x47,
                                            0xba, 0x47, 0xf2, 0x33, 0xa8, 0xfa, 0xab, 0x5f};
constexpr uint8_t kPhysicalSectorGuid[16] = {0xc7, 0x48, 0xa3, 0xcd, 0x5d, 0x44, 0x71, 0x44,
                                             0x9c, 0xc9, 0xe9, 0x88, 0x52, 0x51, 0xc5, 0x56};
constexpr uint8_t kParentLocatorGuid[16] = {0x2d, 0x5f, 0xd3, 0xa8, 0x0b, 0xb3, 0x4d, 0x45,
                                            0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c};

struct Crc32cTable {
  uint32_t entries[256];
  constexpr Crc32cTable() : entries() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78 : c >> 1;
      entries[i] = c;
    }
  }
};
constexpr Crc32cTable kCrcTable;

bool same_guid(const uint8_t* a, const uint8_t* b) {
  for (int i = 0; i < 16; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

Status einval(Reason why) {
  return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, why);
}

Status enotsup(Reason why) {
  return Status(instar_guest_ErrorCode_ERROR_VHDX_ENOTSUP, why);
}

bool power_of_two(uint64_t v) {
  return (v & (v - 1)) == 0;
}

uint32_t ctz64(uint64_t v) {
  uint32_t n = 0;
  while (n < 64 && (v & 1) == 0) {
    v >>= 1;
    ++n;
  }
  return n;
}

}  // namespace

uint32_t crc32c(uint32_t crc, Bytes data) {
  for (uint64_t i = 0; i < data.size; ++i) {
    crc = kCrcTable.entries[(crc ^ data.data[i]) & 0xff] ^ (crc >> 8);
  }
  return crc ^ 0xffffffff;
}

bool checksum_valid(Bytes buffer, uint64_t crc_offset) {
  if (buffer.size < crc_offset + 4) return false;
  const uint32_t stored = load_le32(buffer.data + crc_offset);
  const uint8_t zero[4] = {};
  uint32_t crc = crc32c(0xffffffff, buffer.sub(0, crc_offset)) ^ 0xffffffff;
  crc = crc32c(crc, Bytes(zero, 4)) ^ 0xffffffff;
  crc = crc32c(crc, buffer.sub(crc_offset + 4, buffer.size - crc_offset - 4));
  return crc == stored;
}

Header decode_header(Bytes block) {
  Header h;
  const uint8_t* p = block.data;
  h.sequence = load_le64(p + 0x08);
  copy_bytes(h.log_guid, p + 0x30, 16);
  h.log_version = static_cast<uint16_t>(p[0x40] | (p[0x41] << 8));
  h.version = static_cast<uint16_t>(p[0x42] | (p[0x43] << 8));
  h.log_length = load_le32(p + 0x44);
  h.log_offset = load_le64(p + 0x48);
  h.valid = checksum_valid(block, 4) && load_le32(p) == kHeaderSignature && h.version == 1;
  return h;
}

Status select_header(Bytes first, Bytes second, Header* current) {
  const Header h1 = decode_header(first);
  const Header h2 = decode_header(second);
  const Status none(instar_guest_ErrorCode_ERROR_VHDX_NO_VALID_HEADER);
  if (h1.valid && !h2.valid) {
    *current = h1;
  } else if (!h1.valid && h2.valid) {
    *current = h2;
  } else if (!h1.valid && !h2.valid) {
    return none;
  } else if (h1.sequence > h2.sequence) {
    *current = h1;
  } else if (h2.sequence > h1.sequence) {
    *current = h2;
  } else {
    // Equal sequence numbers: valid only for byte-identical headers (memcmp of VHDXHeader).
    for (uint64_t i = 0; i < kHeaderSize; ++i) {
      if (first.data[i] != second.data[i]) return none;
    }
    *current = h1;
  }
  return Status::Ok();
}

void Regions::add(uint64_t offset, uint64_t length) {
  if (count == kCapacity) return;  // cannot happen: one log and at most 2047 entries
  start[count] = offset;
  end[count] = offset + length;
  ++count;
}

int64_t Regions::overlap(uint64_t offset, uint64_t length) const {
  const uint64_t stop = offset + length;
  for (uint32_t n = count; n > 0; --n) {
    const uint32_t i = n - 1;
    if (!(offset >= end[i] || stop <= start[i])) return i;
  }
  return -1;
}

Status decode_region_table(Bytes table, Regions* regions, RegionTable* out) {
  if (!checksum_valid(table, 4)) return einval(kReasonRegionChecksum);
  if (load_le32(table.data) != kRegionSignature) return einval(kReasonRegionSignature);
  const uint32_t count = load_le32(table.data + 8);
  if (count > kMaxRegionEntries) return einval(kReasonRegionCount);
  bool bat_found = false;
  bool metadata_found = false;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = table.data + 16 + 32 * uint64_t{i};
    const uint64_t offset = load_le64(e + 16);
    const uint32_t length = load_le32(e + 24);
    const uint32_t bits = load_le32(e + 28);
    const int64_t other = regions->overlap(offset, length);
    if (other >= 0) {
      return Status(instar_guest_ErrorCode_ERROR_VHDX_REGION_OVERLAP, offset, offset + length,
                    regions->start[other], regions->end[other]);
    }
    regions->add(offset, length);
    if (same_guid(e, kBatGuid)) {
      if (bat_found) return einval(kReasonRegionDuplicate);
      bat_found = true;
      out->bat = {offset, length};
      continue;
    }
    if (same_guid(e, kMetadataGuid)) {
      if (metadata_found) return einval(kReasonRegionDuplicate);
      metadata_found = true;
      out->metadata = {offset, length};
      continue;
    }
    if (bits & kRegionRequired) return enotsup(kReasonRegionRequired);
  }
  if (!bat_found || !metadata_found) return einval(kReasonRegionMissing);
  return Status::Ok();
}

Status decode_metadata_table(Bytes table, MetadataTable* out) {
  if (load_le64(table.data) != kMetadataSignature) return einval(kReasonMetadataSignature);
  const uint32_t count = static_cast<uint32_t>(table.data[10] | (table.data[11] << 8));
  if (uint64_t{count} * 32 > kMetadataTableSize - 32) return einval(kReasonMetadataCount);
  enum : uint32_t {
    kParams = 1,
    kSize = 2,
    kPage83 = 4,
    kLogical = 8,
    kPhysical = 16,
    kParent = 32
  };
  constexpr uint32_t kAll = kParams | kSize | kPage83 | kLogical | kPhysical;
  uint32_t present = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = table.data + 32 + 32 * uint64_t{i};
    const uint32_t offset = load_le32(e + 16);
    const uint32_t bits = load_le32(e + 24);
    struct Known {
      const uint8_t* guid;
      uint32_t bit;
      uint32_t* item;
    };
    const Known known[] = {{kFileParametersGuid, kParams, &out->file_parameters},
                           {kVirtualSizeGuid, kSize, &out->virtual_disk_size},
                           {kPage83Guid, kPage83, nullptr},
                           {kLogicalSectorGuid, kLogical, &out->logical_sector_size},
                           {kPhysicalSectorGuid, kPhysical, &out->physical_sector_size},
                           {kParentLocatorGuid, kParent, nullptr}};
    bool matched = false;
    for (const Known& k : known) {
      if (!same_guid(e, k.guid)) continue;
      if (present & k.bit) return einval(kReasonMetadataDuplicate);
      present |= k.bit;
      if (k.item != nullptr) *k.item = offset;
      matched = true;
      break;
    }
    if (!matched && (bits & kMetadataRequired)) return enotsup(kReasonMetadataRequired);
  }
  // qemu compares `present` with exactly the five required bits: a parent locator on its own
  // counts as one missing too.
  if (present != kAll) return enotsup(kReasonMetadataMissing);
  out->parent_locator = false;
  return Status::Ok();
}

Status derive_geometry(uint32_t block_size, uint64_t virtual_disk_size,
                       uint32_t logical_sector_size, Geometry* out) {
  Geometry g;
  g.virtual_disk_size = virtual_disk_size;
  if (block_size < kBlockSizeMin || block_size > kBlockSizeMax) return einval(kReasonBlockSize);
  // 7.2 opens 512-byte logical sectors only.
  if (logical_sector_size != 512) return enotsup(kReasonSectorSize);
  g.block_size = block_size;
  g.logical_sector_size = logical_sector_size;
  g.sectors_per_block = block_size / logical_sector_size;
  g.chunk_ratio = kMaxSectorsPerBlock * logical_sector_size / block_size;
  if (!power_of_two(g.sectors_per_block) || !power_of_two(g.chunk_ratio) ||
      !power_of_two(block_size)) {
    return einval(kReasonGeometry);
  }
  g.sectors_per_block_bits = ctz64(g.sectors_per_block);
  g.chunk_ratio_bits = ctz64(g.chunk_ratio);
  g.total_sectors = virtual_disk_size >> 9;
  // vhdx_calc_bat_entries(), in qemu's u32 arithmetic: DIV_ROUND_UP() wraps in u64, then the
  // count is cut to 32 bits.
  const uint32_t data_blocks =
      static_cast<uint32_t>((virtual_disk_size + block_size - 1) / block_size);
  g.bat_entries = data_blocks + ((data_blocks - 1) >> g.chunk_ratio_bits);
  *out = g;
  return Status::Ok();
}

uint64_t bat_index(const Geometry& g, uint64_t sector) {
  const uint64_t block = sector >> g.sectors_per_block_bits;
  return block + (block >> g.chunk_ratio_bits);
}

int probe(Bytes head) {
  constexpr uint8_t kSignature[8] = {'v', 'h', 'd', 'x', 'f', 'i', 'l', 'e'};
  if (head.size < 8) return 0;
  for (int i = 0; i < 8; ++i) {
    if (head.data[i] != kSignature[i]) return 0;
  }
  return 100;
}

}  // namespace instar::vhdx
