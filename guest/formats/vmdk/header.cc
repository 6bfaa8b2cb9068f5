// header.cc: VMDK4 header and footer decoding and the vmdk probe, as block/vmdk.c reads them.
#include "guest/formats/vmdk/header.h"

namespace instar::vmdk {

namespace {

constexpr uint32_t kMarkerFooter = 3;       // MARKER_FOOTER
constexpr uint32_t kMarkerEndOfStream = 0;  // MARKER_END_OF_STREAM

// The version lines vmdk_probe() accepts.
constexpr const char* kVersionLines[] = {"version=1\n",   "version=2\n",   "version=3\n",
                                         "version=1\r\n", "version=2\r\n", "version=3\r\n"};

bool starts_with(const uint8_t* p, const uint8_t* end, const char* text) {
  for (; *text != 0; ++text, ++p) {
    if (p == end || *p != static_cast<uint8_t>(*text)) return false;
  }
  return true;
}

}  // namespace

Header decode_header(Bytes b) {
  Header h;
  const uint8_t* p = b.data;
  h.version = load_le32(p + 0);
  h.flags = load_le32(p + 4);
  h.capacity = load_le64(p + 8);
  h.granularity = load_le64(p + 16);
  h.desc_offset = load_le64(p + 24);
  h.desc_size = load_le64(p + 32);
  h.num_gtes_per_gt = load_le32(p + 40);
  h.rgd_offset = load_le64(p + 44);
  h.gd_offset = load_le64(p + 52);
  h.grain_offset = load_le64(p + 60);
  // filler (1 byte) and check_bytes (4) at 68..72 are not looked at.
  h.compress_algorithm = static_cast<uint16_t>(p[73] | (p[74] << 8));
  return h;
}

bool decode_footer(Bytes f, Header* out) {
  const uint8_t* footer_marker = f.data;
  const uint8_t* footer = f.data + kSectorSize;
  const uint8_t* eos_marker = f.data + 2 * kSectorSize;
  if (load_be32(footer) != kMagicVmdk4 || load_le32(footer_marker + 8) != 0 ||
      load_le32(footer_marker + 12) != kMarkerFooter || load_le64(eos_marker) != 0 ||
      load_le32(eos_marker + 8) != 0 || load_le32(eos_marker + 12) != kMarkerEndOfStream) {
    return false;
  }
  *out = decode_header(Bytes(footer + 4, kHeaderSize));
  return true;
}

int probe(Bytes head) {
  if (head.size < 4) return 0;
  const uint32_t magic = load_be32(head.data);
  if (magic == kMagicVmdk3 || magic == kMagicVmdk4) return 100;
  const uint8_t* p = head.data;
  const uint64_t n = head.size;
  uint64_t i = 0;
  while (i < n) {
    if (p[i] == '#') {  // a comment line
      while (i < n && p[i] != '\n') ++i;
      ++i;
      continue;
    }
    if (p[i] == ' ') {  // blank lines (spaces, maybe a CR) may precede the version line
      while (i < n && p[i] == ' ') ++i;
      if (i < n && p[i] == '\r') ++i;
      if (i == n || p[i] != '\n') return 0;
      ++i;
      continue;
    }
    for (const char* line : kVersionLines) {
      if (starts_with(p + i, p + n, line)) return 100;
    }
    return 0;
  }
  return 0;
}

}  // namespace instar::vmdk
