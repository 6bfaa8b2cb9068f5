// header_area.cc: the qcow2 header fields and extensions, in the order qemu writes them.
#include "property-tests/writer/header_area.h"

#include <string.h>

#include "property-tests/writer/be_bytes.h"

namespace instar::props {

namespace {

// Feature name table entry: u8 type (0 incompatible, 1 compatible, 2 autoclear), u8 bit,
// char name[46] NUL-padded. qemu always writes these eight, in this order.
struct FeatureName {
  uint8_t type;
  uint8_t bit;
  const char* name;
};
constexpr FeatureName kFeatureNames[] = {
    {0, 0, "dirty bit"},        {0, 1, "corrupt bit"},         {0, 2, "external data file"},
    {0, 3, "compression type"}, {0, 4, "extended L2 entries"}, {1, 0, "lazy refcounts"},
    {2, 0, "bitmaps"},          {2, 1, "raw external data"},
};

uint64_t align8(uint64_t n) {
  return (n + 7) & ~uint64_t{7};
}

// Header extension: u32 magic, u32 length, data padded with zeros to a multiple of 8.
uint64_t put_extension(std::vector<uint8_t>& out, uint64_t at, uint32_t magic,
                       const std::vector<uint8_t>& data, Layout& layout) {
  store_be(out, at, magic, 4);
  store_be(out, at + 4, data.size(), 4);
  if (!data.empty()) memcpy(&out[at + 8], data.data(), data.size());
  layout.extensions.push_back({magic, at, static_cast<uint32_t>(data.size())});
  return at + 8 + align8(data.size());
}

std::vector<uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

std::vector<uint8_t> feature_table() {
  std::vector<uint8_t> table(48 * 8);
  for (size_t i = 0; i < 8; ++i) {
    table[48 * i] = kFeatureNames[i].type;
    table[48 * i + 1] = kFeatureNames[i].bit;
    memcpy(&table[48 * i + 2], kFeatureNames[i].name, strlen(kFeatureNames[i].name));
  }
  return table;
}

}  // namespace

void write_header_area(const Model& m, std::vector<uint8_t>& out, Layout& layout) {
  // Header (big-endian):
  //   0 magic "QFI\xfb" | 4 version | 8 backing_file_offset u64 | 16 backing_file_size u32
  //  20 cluster_bits | 24 size u64 | 32 crypt_method | 36 l1_size | 40 l1_table_offset u64
  //  48 refcount_table_offset u64 | 56 refcount_table_clusters | 60 nb_snapshots
  //  64 snapshots_offset u64 -- end of the 72-byte v2 header. v3 adds:
  //  72 incompatible u64 | 80 compatible u64 | 88 autoclear u64 | 96 refcount_order
  // 100 header_length | 104 compression_type u8 + 7 bytes padding (header_length 112).
  store_be(out, 0, 0x514649fb, 4);
  store_be(out, 4, m.version, 4);
  store_be(out, 20, m.cluster_bits, 4);
  store_be(out, 24, m.virtual_size, 8);
  store_be(out, 36, layout.l1_size, 4);
  store_be(out, 40, layout.l1_offset, 8);
  store_be(out, 48, layout.refcount_table_offset, 8);
  store_be(out, 56, layout.refcount_table_clusters, 4);
  store_be(out, 60, m.snapshots.size(), 4);
  store_be(out, 64, layout.snapshot_table_offset, 8);
  layout.header_length = m.version == 2 ? 72 : 112;
  if (m.version == 3) {
    // incompatible: 0 dirty, 1 corrupt, 2 external data file, 3 compression type (set iff not
    // zlib), 4 extended L2. compatible: 0 lazy refcounts. autoclear: 1 raw external data.
    const uint64_t incompatible =
        (m.dirty ? 1u : 0u) | (m.corrupt ? 2u : 0u) | (m.data_file ? 4u : 0u) |
        (m.compression == Compression::kZstd ? 8u : 0u) | (m.extended_l2 ? 16u : 0u);
    store_be(out, 72, incompatible, 8);
    store_be(out, 80, m.lazy_refcounts ? 1 : 0, 8);
    store_be(out, 88, m.data_file_raw ? 2 : 0, 8);
    store_be(out, 96, m.refcount_order, 4);
    store_be(out, 100, layout.header_length, 4);
    out[104] = static_cast<uint8_t>(m.compression);
  }

  // Extensions start right after the header: backing format, data file, feature names, then
  // extensions unknown to qemu, then the 8 zero bytes that end the list.
  uint64_t at = layout.header_length;
  if (m.backing_format) {
    at = put_extension(out, at, kExtBackingFormat, bytes_of(*m.backing_format), layout);
  }
  if (m.data_file) at = put_extension(out, at, kExtDataFile, bytes_of(*m.data_file), layout);
  if (m.feature_table) at = put_extension(out, at, kExtFeatureTable, feature_table(), layout);
  for (const UnknownExtension& e : m.unknown_extensions) {
    at = put_extension(out, at, e.magic, e.data, layout);
  }
  layout.extensions_end = at;
  at += 8;

  // The backing file name (no NUL) follows at the next 8-aligned offset.
  if (m.backing_file) {
    layout.backing_file_offset = align8(at);
    layout.backing_file_size = static_cast<uint32_t>(m.backing_file->size());
    memcpy(&out[layout.backing_file_offset], m.backing_file->data(), m.backing_file->size());
    store_be(out, 8, layout.backing_file_offset, 8);
    store_be(out, 16, layout.backing_file_size, 4);
  }
}

}  // namespace instar::props
