// header.cc: decoding and parallels_open()'s validation of the Parallels header; qemu's probe.
#include "guest/formats/parallels/header.h"

namespace instar::parallels {

namespace {

constexpr char kOldMagic[] = "WithoutFreeSpace";  // HEADER_MAGIC
constexpr char kNewMagic[] = "WithouFreSpacExt";  // HEADER_MAGIC2
constexpr uint64_t kMagicSize = 16;
// The largest sectors per cluster Debian's qemu-img 7.2 opens (found by bisection: one more
// fails with "Invalid image: Too big cluster"; the source's limit reads INT32_MAX / 513).
constexpr uint32_t kMaxTracks = 0x3fe00f;
constexpr uint32_t kMaxBatEntries = 0x7fffffff / 4;  // INT_MAX / sizeof(uint32_t)
constexpr uint64_t kMemAlign = 4096;                 // bdrv_opt_mem_align() of a file

bool magic_is(const uint8_t* p, const char* magic) {
  for (uint64_t i = 0; i < kMagicSize; ++i) {
    if (p[i] != static_cast<uint8_t>(magic[i])) return false;
  }
  return true;
}

uint64_t round_up(uint64_t v, uint64_t to) {
  return (v + to - 1) / to * to;
}

}  // namespace

Header decode_header(Bytes bytes) {
  Header h;
  if (bytes.size < kHeaderBytes) return h;
  const uint8_t* p = bytes.data;
  h.old_magic = magic_is(p, kOldMagic);
  h.new_magic = magic_is(p, kNewMagic);
  h.version = load_le32(p + 0x10);
  h.tracks = load_le32(p + 0x1c);
  h.bat_entries = load_le32(p + 0x20);
  h.nb_sectors = load_le64(p + 0x24);
  h.inuse = load_le32(p + 0x2c);
  h.data_off = load_le32(p + 0x30);
  h.ext_off = load_le64(p + 0x38);
  return h;
}

Status validate(const Header& h, Geometry* g) {
  if (h.version != kVersion || (!h.old_magic && !h.new_magic)) {
    return Status(instar_guest_ErrorCode_ERROR_PARALLELS_NOT_PARALLELS);
  }
  g->total_sectors = h.old_magic ? (h.nb_sectors & 0xffffffff) : h.nb_sectors;
  g->off_multiplier = h.old_magic ? 1 : h.tracks;
  if (h.tracks == 0) return Status(instar_guest_ErrorCode_ERROR_PARALLELS_ZERO_TRACKS);
  if (h.tracks > kMaxTracks) return Status(instar_guest_ErrorCode_ERROR_PARALLELS_TOO_BIG_CLUSTER);
  if (h.bat_entries > kMaxBatEntries) {
    return Status(instar_guest_ErrorCode_ERROR_PARALLELS_CATALOG_TOO_LARGE);
  }
  g->cluster_size = uint64_t{h.tracks} * 512;
  // The header and BAT are read in one request: rounded up to the memory alignment unless the
  // data (data_off, in sectors, compared as qemu compares it) starts before that.
  const uint64_t bytes = kHeaderBytes + uint64_t{h.bat_entries} * 4;
  uint64_t header_size = round_up(bytes, kMemAlign);
  const uint64_t data_end = h.data_off != 0 ? h.data_off : round_up(bytes, 512);
  if (data_end < header_size) header_size = bytes;
  if (header_size > kMaxRequest) return Status(instar_guest_ErrorCode_ERROR_SMALL_OPEN_EIO);
  return Status::Ok();
}

int probe(Bytes head) {
  if (head.size < kHeaderBytes) return 0;
  const Header h = decode_header(head);
  return (h.old_magic || h.new_magic) && h.version == kVersion ? 100 : 0;
}

}  // namespace instar::parallels
