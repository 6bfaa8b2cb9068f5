// descriptor.cc: block/vmdk.c's descriptor string lookups, bounded to the bytes read.
#include "guest/formats/vmdk/descriptor.h"

namespace instar::vmdk {

namespace {

uint64_t c_strlen(Bytes b) {
  uint64_t n = 0;
  while (n < b.size && b.data[n] != 0) ++n;
  return n;
}

uint64_t text_length(const char* s) {
  uint64_t n = 0;
  while (s[n] != 0) ++n;
  return n;
}

// strstr() over the C string of `b`: the index of the first match, or b.size when none.
uint64_t find(Bytes b, const char* needle) {
  const uint64_t length = c_strlen(b);
  const uint64_t n = text_length(needle);
  if (n > length) return b.size;
  for (uint64_t i = 0; i + n <= length; ++i) {
    uint64_t k = 0;
    while (k < n && b.data[i + k] == static_cast<uint8_t>(needle[k])) ++k;
    if (k == n) return i;
  }
  return b.size;
}

constexpr const char* kDescriptorFileTypes[] = {"monolithicFlat",       "vmfs",
                                                "vmfsSparse",           "seSparse",
                                                "twoGbMaxExtentSparse", "twoGbMaxExtentFlat"};

bool is_space(uint8_t c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool equals(Bytes b, const char* text) {
  const uint64_t n = text_length(text);
  if (b.size != n) return false;
  for (uint64_t i = 0; i < n; ++i) {
    if (b.data[i] != static_cast<uint8_t>(text[i])) return false;
  }
  return true;
}

// glibc's sscanf("%" SCNx32): strtoul on the scanned characters, stored in 32 bits.
bool scan_hex32(Bytes b, uint64_t i, uint32_t* out) {
  while (i < b.size && is_space(b.data[i])) ++i;
  bool negative = false;
  if (i < b.size && (b.data[i] == '+' || b.data[i] == '-')) {
    negative = b.data[i] == '-';
    ++i;
  }
  bool digits = false;
  if (i + 1 < b.size && b.data[i] == '0' && (b.data[i + 1] == 'x' || b.data[i + 1] == 'X')) {
    digits = true;  // "0x" alone scans as 0
    i += 2;
  }
  uint64_t value = 0;
  bool overflow = false;
  for (; i < b.size && hex_value(b.data[i]) >= 0; ++i) {
    digits = true;
    if (value > (~uint64_t{0} >> 4)) overflow = true;
    value = (value << 4) | static_cast<uint64_t>(hex_value(b.data[i]));
  }
  if (!digits) return false;
  if (overflow) {
    value = ~uint64_t{0};
  } else if (negative) {
    value = 0 - value;
  }
  *out = static_cast<uint32_t>(value);
  return true;
}

}  // namespace

bool read_cid(Bytes desc, bool parent, uint32_t* cid) {
  const char* name = parent ? "parentCID" : "CID";
  const uint64_t at = find(desc, name);
  if (at == desc.size) return false;
  return scan_hex32(desc, at + text_length(name) + 1, cid);  // sizeof(name): the '=' too
}

bool parse_option(Bytes desc, const char* name, uint64_t buffer_size, Bytes* value) {
  const uint64_t end = c_strlen(desc);
  const uint64_t at = find(desc, name);
  if (at == desc.size) return false;
  const uint64_t start = at + text_length(name) + 2;
  if (start >= end) return false;
  uint64_t stop = start;
  while (stop < end && desc.data[stop] != '"') ++stop;
  if (stop == end || buffer_size < stop - start + 1) return false;
  *value = Bytes(desc.data + start, stop - start);
  return true;
}

HintResult parent_hint(Bytes desc, Bytes* name) {
  const char* key = "parentFileNameHint";
  const uint64_t at = find(desc, key);
  if (at == desc.size) return HintResult::kNone;
  const uint64_t start = at + text_length(key) + 2;  // sizeof(key) + 1: past `="`
  // strchr(start, '"') in qemu's buffer, whose byte after `desc` is its NUL.
  uint64_t stop = start;
  while (stop < desc.size && desc.data[stop] != '"' && desc.data[stop] != 0) ++stop;
  if (stop >= desc.size || desc.data[stop] != '"') return HintResult::kInvalid;
  if (stop - start > kBackingNameBufferSize - 1) return HintResult::kInvalid;
  *name = Bytes(desc.data + start, stop - start);
  return HintResult::kFound;
}

bool is_descriptor_file_type(Bytes t) {
  for (const char* type : kDescriptorFileTypes) {
    if (equals(t, type)) return true;
  }
  return false;
}

}  // namespace instar::vmdk
