// subcluster_type.cc: subcluster classification as qcow2_get_subcluster_type() and its range form.
#include "guest/formats/qcow2/subcluster_type.h"

namespace instar::qcow2 {

namespace {

// QCOW_OFLAG_SUB_ALLOC_RANGE(0, n) and its zero-bit twin: bits [0, n) of each half.
constexpr uint64_t low_bits(uint32_t n) {
  return n >= 32 ? 0xffffffffull : (uint64_t{1} << n) - 1;
}

int32_t count_trailing_ones32(uint32_t v) {
  return v == 0xffffffffu ? 32 : __builtin_ctz(~v);
}

int32_t count_trailing_zeros32(uint32_t v) {
  return v == 0 ? 32 : __builtin_ctz(v);
}

}  // namespace

SubclusterType subcluster_type(const L2Geometry& g, uint64_t entry, uint64_t bitmap,
                               uint32_t sc_index) {
  const ClusterType type = classify_l2_entry(entry, g.extended_l2, g.has_data_file);
  if (!g.extended_l2) {
    switch (type) {
      case ClusterType::kCompressed:
        return SubclusterType::kCompressed;
      case ClusterType::kZeroPlain:
        return SubclusterType::kZeroPlain;
      case ClusterType::kZeroAlloc:
        return SubclusterType::kZeroAlloc;
      case ClusterType::kNormal:
        return SubclusterType::kNormal;
      case ClusterType::kUnallocated:
        return SubclusterType::kUnallocatedPlain;
    }
    return SubclusterType::kInvalid;
  }
  const uint64_t alloc_bit = uint64_t{1} << sc_index;
  const uint64_t zero_bit = uint64_t{1} << (32 + sc_index);
  switch (type) {
    case ClusterType::kCompressed:
      return SubclusterType::kCompressed;
    case ClusterType::kNormal:
      if (((bitmap >> 32) & bitmap) != 0) return SubclusterType::kInvalid;
      if ((bitmap & zero_bit) != 0) return SubclusterType::kZeroAlloc;
      if ((bitmap & alloc_bit) != 0) return SubclusterType::kNormal;
      return SubclusterType::kUnallocatedAlloc;
    case ClusterType::kUnallocated:
      if ((bitmap & kL2BitmapAllAlloc) != 0) return SubclusterType::kInvalid;
      if ((bitmap & zero_bit) != 0) return SubclusterType::kZeroPlain;
      return SubclusterType::kUnallocatedPlain;
    case ClusterType::kZeroPlain:  // not produced with extended L2
    case ClusterType::kZeroAlloc:
      break;
  }
  return SubclusterType::kInvalid;
}

int32_t subcluster_range(const L2Geometry& g, uint64_t entry, uint64_t bitmap, uint32_t sc_from,
                         SubclusterType* type) {
  *type = subcluster_type(g, entry, bitmap, sc_from);
  if (*type == SubclusterType::kInvalid) return -1;
  const int32_t from = static_cast<int32_t>(sc_from);
  if (!g.extended_l2 || *type == SubclusterType::kCompressed) {
    return static_cast<int32_t>(g.subclusters_per_cluster()) - from;
  }
  const uint32_t alloc = static_cast<uint32_t>(bitmap);
  const uint32_t zero = static_cast<uint32_t>(bitmap >> 32);
  const uint32_t below = static_cast<uint32_t>(low_bits(sc_from));
  switch (*type) {
    case SubclusterType::kNormal:
      return count_trailing_ones32(alloc | below) - from;
    case SubclusterType::kZeroPlain:
    case SubclusterType::kZeroAlloc:
      return count_trailing_ones32(zero | below) - from;
    case SubclusterType::kUnallocatedPlain:
    case SubclusterType::kUnallocatedAlloc:
      return count_trailing_zeros32((zero | alloc) & ~below) - from;
    case SubclusterType::kCompressed:
    case SubclusterType::kInvalid:
      break;
  }
  return -1;
}

}  // namespace instar::qcow2
