// footer.cc: decoding and vpc_open()'s checks of the VHD footer; qemu 7.2's disk size rule and
// vpc_probe().
#include "guest/formats/vpc/footer.h"

namespace instar::vpc {

namespace {

constexpr uint64_t kDataOffsetAt = 0x10;
constexpr uint64_t kCreatorAppAt = 0x1c;
constexpr uint64_t kCurrentSizeAt = 0x30;
constexpr uint64_t kCylsAt = 0x38;
constexpr uint64_t kHeadsAt = 0x3a;
constexpr uint64_t kSecsPerCylAt = 0x3b;
constexpr uint64_t kTypeAt = 0x3c;
constexpr uint64_t kChecksumAt = 0x40;
constexpr uint64_t kSectorSize = 512;

constexpr uint8_t kCookie[8] = {'c', 'o', 'n', 'e', 'c', 't', 'i', 'x'};

// Creator apps whose images qemu 7.2 sizes by current_size (vpc_open()'s table; "vpc ", "qemu"
// and every other app use the CHS geometry). qemu compares "tap" with memcmp() over 4 bytes, so
// its NUL is part of the name; the others are four non-NUL bytes, where strncmp() is memcmp().
constexpr uint8_t kCurrentSizeApps[][4] = {
    {'w', 'i', 'n', ' '}, {'q', 'e', 'm', '2'},  {'d', '2', 'v', ' '},
    {'C', 'T', 'X', 'S'}, {'t', 'a', 'p', '\0'},
};

bool same(const uint8_t* a, const uint8_t* b, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

Footer decode_footer(Bytes sector) {
  Footer f;
  if (sector.size < kFooterSize) return f;
  const uint8_t* p = sector.data;
  f.has_cookie = same(p, kCookie, sizeof kCookie);
  f.data_offset = load_be64(p + kDataOffsetAt);
  for (uint64_t i = 0; i < 4; ++i) f.creator_app[i] = p[kCreatorAppAt + i];
  f.current_size = load_be64(p + kCurrentSizeAt);
  f.cyls = load_be16(p + kCylsAt);
  f.heads = p[kHeadsAt];
  f.secs_per_cyl = p[kSecsPerCylAt];
  f.type = load_be32(p + kTypeAt);
  f.checksum = load_be32(p + kChecksumAt);
  uint32_t sum = 0;
  for (uint64_t i = 0; i < kFooterSize; ++i) {
    if (i < kChecksumAt || i >= kChecksumAt + 4) sum += p[i];
  }
  f.computed_checksum = ~sum;
  return f;
}

bool is_fixed_footer(const Footer& footer) {
  return footer.has_cookie && footer.type == kTypeFixed;
}

uint64_t disk_sectors(const Footer& footer) {
  const uint64_t chs = uint64_t{footer.cyls} * footer.heads * footer.secs_per_cyl;
  bool use_chs = true;
  for (const uint8_t* app : kCurrentSizeApps) {
    if (same(footer.creator_app, app, 4)) use_chs = false;
  }
  // qemu's force_size=on writes the largest geometry: the size is current_size whatever the app.
  if (!use_chs || chs == kMaxGeometry) return footer.current_size / kSectorSize;
  return chs;
}

Status validate_footer(const Footer& footer, uint64_t* sectors) {
  if (footer.computed_checksum != footer.checksum) {
    return Status(instar_guest_ErrorCode_ERROR_VPC_CHECKSUM);
  }
  *sectors = disk_sectors(footer);
  if (*sectors > kMaxSectors) return Status(instar_guest_ErrorCode_ERROR_VPC_TOO_LARGE);
  return Status::Ok();
}

int probe(Bytes head) {
  if (head.size < sizeof kCookie) return 0;
  return same(head.data, kCookie, sizeof kCookie) ? 100 : 0;
}

}  // namespace instar::vpc
