// feature_names.cc: builds qemu's unsupported-feature text from an image's feature-name table.
#include "guest/formats/qcow2/feature_names.h"

namespace instar::qcow2 {

namespace {

// Appends to a fixed buffer, silently dropping what does not fit.
struct TextBuffer {
  char* out;
  uint64_t capacity;
  uint64_t length = 0;

  void put(char c) {
    if (length < capacity) out[length] = c;
    if (length < capacity) ++length;
  }
  void put(const char* s) {
    while (*s != '\0') put(*s++);
  }
  void put_hex(uint64_t v) {  // PRIx64: lowercase, no leading zeros
    char digits[16];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
  }
};

uint8_t table_byte(Bytes table, uint64_t index) {
  return index < table.size ? table[index] : 0;
}

}  // namespace

uint64_t describe_unsupported_features(Bytes table, uint64_t mask, char* out, uint64_t capacity) {
  TextBuffer text{out, capacity};
  bool any = false;
  for (uint64_t entry = 0;; entry += kFeatureNameEntrySize) {
    if (entry >= table.size || table_byte(table, entry + 2) == 0) break;
    const uint8_t type = table_byte(table, entry);
    // qemu shifts 1ULL by the raw byte; x86-64 uses the count modulo 64.
    const uint64_t bit = uint64_t{1} << (table_byte(table, entry + 1) & 63);
    if (type != kFeatureTypeIncompatible || (mask & bit) == 0) continue;
    if (any) text.put(", ");
    for (uint64_t i = 0; i < kFeatureNameSize; ++i) {  // "%.46s"
      const uint8_t c = table_byte(table, entry + 2 + i);
      if (c == 0) break;
      text.put(static_cast<char>(c));
    }
    any = true;
    mask &= ~bit;
  }
  if (mask != 0) {
    if (any) text.put(", ");
    text.put("Unknown incompatible feature: ");
    text.put_hex(mask);
  }
  return text.length;
}

}  // namespace instar::qcow2
