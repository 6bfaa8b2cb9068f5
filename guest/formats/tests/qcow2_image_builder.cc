// qcow2_image_builder.cc: the test image writer (big-endian fields, qemu's default layout).
#include "guest/formats/tests/qcow2_image_builder.h"

#include <algorithm>
#include <tuple>

namespace instar::test {

void put_be16(std::vector<uint8_t>& image, uint64_t offset, uint16_t value) {
  if (image.size() < offset + 2) image.resize(offset + 2);
  image[offset] = static_cast<uint8_t>(value >> 8);
  image[offset + 1] = static_cast<uint8_t>(value);
}
void put_be32(std::vector<uint8_t>& image, uint64_t offset, uint32_t value) {
  put_be16(image, offset, static_cast<uint16_t>(value >> 16));
  put_be16(image, offset + 2, static_cast<uint16_t>(value));
}
void put_be64(std::vector<uint8_t>& image, uint64_t offset, uint64_t value) {
  put_be32(image, offset, static_cast<uint32_t>(value >> 32));
  put_be32(image, offset + 4, static_cast<uint32_t>(value));
}

namespace {

void put_bytes(std::vector<uint8_t>& image, uint64_t offset, const void* data, uint64_t n) {
  if (image.size() < offset + n) image.resize(offset + n);
  const auto* p = static_cast<const uint8_t*>(data);
  for (uint64_t i = 0; i < n; ++i) image[offset + i] = p[i];
}

uint64_t align8(uint64_t v) {
  return (v + 7) & ~uint64_t{7};
}

}  // namespace

Qcow2ImageBuilder& Qcow2ImageBuilder::add_backing_format(const std::string& format) {
  extensions.push_back({0xe2792aca, std::vector<uint8_t>(format.begin(), format.end())});
  return *this;
}

Qcow2ImageBuilder& Qcow2ImageBuilder::add_data_file(const std::string& name) {
  extensions.push_back({0x44415441, std::vector<uint8_t>(name.begin(), name.end())});
  return *this;
}

Qcow2ImageBuilder& Qcow2ImageBuilder::add_feature_names(
    const std::vector<std::tuple<uint8_t, uint8_t, std::string>>& entries) {
  std::vector<uint8_t> data(entries.size() * 48, 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    data[i * 48] = std::get<0>(entries[i]);
    data[i * 48 + 1] = std::get<1>(entries[i]);
    const std::string& name = std::get<2>(entries[i]);
    for (size_t c = 0; c < name.size() && c < 46; ++c) data[i * 48 + 2 + c] = name[c];
  }
  extensions.push_back({0x6803f857, data});
  return *this;
}

Qcow2ImageBuilder& Qcow2ImageBuilder::add_feature_table() {
  return add_feature_names({{0, 0, "dirty bit"},
                            {0, 1, "corrupt bit"},
                            {0, 2, "external data file"},
                            {0, 3, "compression type"},
                            {0, 4, "extended L2 entries"},
                            {1, 0, "lazy refcounts"},
                            {2, 0, "bitmaps"},
                            {2, 1, "raw external data"}});
}

std::vector<uint8_t> Qcow2ImageBuilder::build() const {
  const uint64_t cs = cluster_size();
  std::vector<uint8_t> image(4 * cs, 0);
  const bool extended_l2 = (incompatible_features & 16) != 0;
  const uint64_t l2_entries = cs / (extended_l2 ? 16 : 8);
  const uint64_t needed_l1 = (size + cs * l2_entries - 1) / (cs * l2_entries);

  const uint64_t hlen =
      header_length >= 0 ? static_cast<uint64_t>(header_length) : (version == 2 ? 72 : 112);
  put_be32(image, 0, 0x514649fb);
  put_be32(image, 4, version);
  put_be32(image, 20, cluster_bits);
  put_be64(image, 24, size);
  put_be32(image, 32, crypt_method);
  put_be32(image, 36, static_cast<uint32_t>(l1_size >= 0 ? l1_size : needed_l1));
  put_be64(image, 40, l1_table_offset >= 0 ? l1_table_offset : 3 * cs);
  put_be64(image, 48, refcount_table_offset >= 0 ? refcount_table_offset : cs);
  put_be32(image, 56, refcount_table_clusters);
  put_be32(image, 60, static_cast<uint32_t>(nb_snapshots >= 0 ? nb_snapshots : snapshots.size()));
  put_be64(image, 64, snapshots_offset >= 0 ? snapshots_offset : (snapshots.empty() ? 0 : 4 * cs));
  uint64_t autoclear = autoclear_features | (bitmaps.empty() ? 0 : 1);
  if (version >= 3) {
    put_be64(image, 72, incompatible_features);
    put_be64(image, 80, compatible_features);
    put_be64(image, 88, autoclear);
    put_be32(image, 96, refcount_order);
    put_be32(image, 100, static_cast<uint32_t>(hlen));
    image[104] = compression_type;
  }

  std::vector<HeaderExtensionSpec> all = extensions;
  if (!bitmaps.empty()) {
    uint64_t dir_size = 0;
    for (const BitmapSpec& b : bitmaps) dir_size += align8(24 + b.name.size());
    std::vector<uint8_t> data(24, 0);
    put_be32(data, 0, static_cast<uint32_t>(bitmaps.size()));
    put_be64(data, 8, dir_size);
    put_be64(data, 16, 5 * cs);
    all.push_back({0x23852875, data});
  }
  uint64_t offset = hlen;
  for (const HeaderExtensionSpec& e : all) {
    put_be32(image, offset, e.magic);
    put_be32(image, offset + 4, static_cast<uint32_t>(e.data.size()));
    put_bytes(image, offset + 8, e.data.data(), e.data.size());
    offset += 8 + align8(e.data.size());
  }
  put_be64(image, offset, 0);  // end marker
  offset += 8;
  if (!backing_file.empty()) {
    put_be64(image, 8, offset);
    put_be32(
        image, 16,
        static_cast<uint32_t>(backing_file_size >= 0 ? backing_file_size : backing_file.size()));
    put_bytes(image, offset, backing_file.data(), backing_file.size());
  }
  if (image.size() < 4 * cs) image.resize(4 * cs);

  // Refcount table -> refcount block at cluster 2; refcounts themselves are not checked by info.
  put_be64(image, cs, 2 * cs);
  // L1 table (all zero) fills cluster 3 onwards.
  // The table itself is zeros; cap it so absurd sizes in corruption tests stay small.
  const uint64_t l1_entries = l1_size >= 0 ? static_cast<uint64_t>(l1_size) : needed_l1;
  const uint64_t l1_bytes = (l1_entries < (1u << 16) ? l1_entries : (1u << 16)) * 8;
  if (image.size() < 3 * cs + l1_bytes) image.resize(3 * cs + l1_bytes);

  if (!snapshots.empty()) {
    uint64_t at = 4 * cs;
    for (const SnapshotSpec& s : snapshots) {
      at = align8(at);
      put_be64(image, at + 0, 3 * cs);
      put_be32(image, at + 8, static_cast<uint32_t>(needed_l1));
      put_be16(image, at + 12, static_cast<uint16_t>(s.id.size()));
      put_be16(image, at + 14, static_cast<uint16_t>(s.name.size()));
      put_be32(image, at + 16, s.date_sec);
      put_be32(image, at + 20, s.date_nsec);
      put_be64(image, at + 24, s.vm_clock_nsec);
      put_be32(image, at + 32, s.vm_state_size32);
      put_be32(image, at + 36, s.extra_data_size);
      std::vector<uint8_t> extra(s.extra_data_size, 0);
      std::vector<uint8_t> known(24, 0);
      put_be64(known, 0, s.vm_state_size_large);
      put_be64(known, 8, size);
      put_be64(known, 16, s.icount);
      for (size_t i = 0; i < extra.size() && i < 24; ++i) extra[i] = known[i];
      put_bytes(image, at + 40, extra.data(), extra.size());
      at += 40 + extra.size();
      put_bytes(image, at, s.id.data(), s.id.size());
      at += s.id.size();
      put_bytes(image, at, s.name.data(), s.name.size());
      at += s.name.size();
    }
    if (image.size() < 5 * cs) image.resize(5 * cs);
  }
  if (!bitmaps.empty()) {
    uint64_t at = 5 * cs;
    if (image.size() < at) image.resize(at);
    for (size_t i = 0; i < bitmaps.size(); ++i) {
      const BitmapSpec& b = bitmaps[i];
      put_be64(image, at + 0, (6 + i) * cs);
      put_be32(image, at + 8, b.table_size);
      put_be32(image, at + 12, b.flags);
      image.resize(std::max<uint64_t>(image.size(), at + 24));
      image[at + 16] = b.type;
      image[at + 17] = b.granularity_bits;
      put_be16(image, at + 18, static_cast<uint16_t>(b.name.size()));
      put_be32(image, at + 20, 0);
      put_bytes(image, at + 24, b.name.data(), b.name.size());
      at += align8(24 + b.name.size());
    }
    image.resize(std::max<uint64_t>(image.size(), (6 + bitmaps.size()) * cs));
  }
  return image;
}

}  // namespace instar::test
