// layout.h: where the writer put every structure, so injectors and checks can find them again.
#pragma once

#include <stdint.h>

#include <vector>

#include "property-tests/model/model.h"

namespace instar::props {

struct ExtensionPlacement {
  uint32_t magic = 0;
  uint64_t offset = 0;  // of the 8-byte {magic, length} header
  uint32_t length = 0;
};

struct L2Placement {
  uint64_t l1_index = 0;
  uint64_t offset = 0;
  uint64_t references = 0;  // active L1 + sharing snapshots
};

struct ClusterPlacement {
  uint64_t guest_index = 0;
  ClusterKind kind = ClusterKind::kData;  // as written: a compressed cluster that did not
                                          // shrink is written as kData, like qemu does
  uint64_t host_offset = 0;               // 0 for kZero; in the data file when there is one
  uint64_t compressed_size = 0;
  uint64_t l2_entry_offset = 0;  // file offset of its (active) L2 entry
  uint64_t references = 0;
};

struct Layout {
  uint64_t cluster_size = 0;
  uint32_t refcount_bits = 0;
  uint32_t header_length = 0;
  std::vector<ExtensionPlacement> extensions;  // in file order
  uint64_t extensions_end = 0;                 // offset of the end-of-extensions marker
  uint64_t backing_file_offset = 0;
  uint32_t backing_file_size = 0;
  uint64_t l1_offset = 0;
  uint64_t l1_size = 0;
  std::vector<L2Placement> l2_tables;
  std::vector<ClusterPlacement> clusters;
  std::vector<uint64_t> snapshot_l1_offsets;
  uint64_t snapshot_table_offset = 0;
  uint64_t snapshot_table_size = 0;
  uint64_t refcount_table_offset = 0;
  uint32_t refcount_table_clusters = 0;
  std::vector<uint64_t> refblock_offsets;
  std::vector<uint64_t> refcounts;  // the correct refcount of every host cluster of the image
  uint64_t file_size = 0;
};

}  // namespace instar::props
