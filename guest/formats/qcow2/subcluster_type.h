// subcluster_type.h: qemu's per-subcluster classification of L2 entries (block/qcow2.h 7.2).
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/cluster_entries.h"

namespace instar::qcow2 {

// qemu's QCow2SubclusterType. Without extended L2 a cluster is one subcluster.
enum class SubclusterType : uint8_t {
  kNormal,
  kCompressed,
  kZeroPlain,
  kZeroAlloc,
  kUnallocatedPlain,
  kUnallocatedAlloc,
  kInvalid,  // extended L2 bitmap contradicts itself or the entry
};

// How the image lays out its L2 entries.
struct L2Geometry {
  bool extended_l2 = false;
  bool has_data_file = false;
  uint32_t cluster_bits = 16;

  uint32_t subclusters_per_cluster() const { return extended_l2 ? kExtendedSubclusters : 1; }
  uint32_t subcluster_bits() const { return extended_l2 ? cluster_bits - 5 : cluster_bits; }

  static constexpr uint32_t kExtendedSubclusters = 32;
};

// qcow2_get_subcluster_type(): the type of subcluster `sc_index` of the entry/bitmap pair
// (`bitmap` is ignored without extended L2).
SubclusterType subcluster_type(const L2Geometry& g, uint64_t entry, uint64_t bitmap,
                               uint32_t sc_index);

// qcow2_get_subcluster_range_type(): the type of subcluster `sc_from` and how many consecutive
// subclusters of the cluster, starting there, share it. Returns -1 for kInvalid.
int32_t subcluster_range(const L2Geometry& g, uint64_t entry, uint64_t bitmap, uint32_t sc_from,
                         SubclusterType* type);

}  // namespace instar::qcow2
