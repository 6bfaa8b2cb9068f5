// qcow2_image_builder.h: test-only writer of small qcow2 images laid out as qemu-img creates them.
#pragma once

#include <stdint.h>

#include <string>
#include <tuple>
#include <vector>

namespace instar::test {

void put_be16(std::vector<uint8_t>& image, uint64_t offset, uint16_t value);
void put_be32(std::vector<uint8_t>& image, uint64_t offset, uint32_t value);
void put_be64(std::vector<uint8_t>& image, uint64_t offset, uint64_t value);

struct SnapshotSpec {
  std::string id;
  std::string name;
  uint32_t date_sec = 0;
  uint32_t date_nsec = 0;
  uint64_t vm_clock_nsec = 0;
  uint32_t vm_state_size32 = 0;
  uint64_t vm_state_size_large = 0;
  uint64_t icount = 0;
  uint32_t extra_data_size = 24;  // bytes of extra data written (zeros beyond the 24 known)
};

struct BitmapSpec {
  std::string name;
  uint8_t granularity_bits = 16;
  uint32_t flags = 2;  // auto
  uint32_t table_size = 1;
  uint8_t type = 1;
};

struct HeaderExtensionSpec {
  uint32_t magic;
  std::vector<uint8_t> data;
};

// Cluster 0: header, extensions, backing name; cluster 1: refcount table; cluster 2: refcount
// block; cluster 3: L1 table; cluster 4: snapshot table; cluster 5: bitmap directory;
// cluster 6: bitmap tables. Every field can be overridden for corruption tests.
class Qcow2ImageBuilder {
 public:
  uint32_t version = 3;
  uint32_t cluster_bits = 16;
  uint64_t size = 16 << 20;
  uint32_t crypt_method = 0;
  uint64_t incompatible_features = 0;
  uint64_t compatible_features = 0;
  uint64_t autoclear_features = 0;
  uint32_t refcount_order = 4;
  int64_t header_length = -1;  // -1: 72 for v2, 112 for v3
  uint8_t compression_type = 0;
  int64_t l1_size = -1;  // -1: what `size` needs
  int64_t l1_table_offset = -1;
  int64_t refcount_table_offset = -1;
  uint32_t refcount_table_clusters = 1;
  int64_t nb_snapshots = -1;  // -1: snapshots.size()
  int64_t snapshots_offset = -1;
  std::string backing_file;  // empty: none
  int64_t backing_file_size = -1;
  std::vector<HeaderExtensionSpec> extensions;  // written in order before the end marker
  std::vector<SnapshotSpec> snapshots;
  std::vector<BitmapSpec> bitmaps;  // non-empty adds the bitmaps extension (+ autoclear bit)

  uint64_t cluster_size() const { return uint64_t{1} << cluster_bits; }
  Qcow2ImageBuilder& add_backing_format(const std::string& format);
  Qcow2ImageBuilder& add_data_file(const std::string& name);
  Qcow2ImageBuilder& add_feature_table();  // qemu 7.2's table (8 entries)
  Qcow2ImageBuilder& add_feature_names(
      const std::vector<std::tuple<uint8_t, uint8_t, std::string>>& entries);

  std::vector<uint8_t> build() const;
};

}  // namespace instar::test
