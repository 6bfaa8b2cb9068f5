// cluster_map.cc: L1/L2 lookup and run counting (qcow2_get_host_offset,
// count_contiguous_subclusters) over a BlockSource.
#include "guest/formats/qcow2/cluster_map.h"

#include "guest/formats/qcow2/limits.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/bytes.h"

namespace instar::qcow2 {

namespace {

constexpr uint64_t kL1WindowEntries = 4096;

Status corrupt(instar_guest_ErrorCode code, uint64_t a0, uint64_t a1) {
  return Status(code, a0, a1);
}

}  // namespace

Status ClusterMap::init(BlockSource& file, Arena& arena, const Header& header, bool has_data_file) {
  file_ = &file;
  geometry_.extended_l2 = header.has_extended_l2();
  geometry_.has_data_file = has_data_file;
  geometry_.cluster_bits = header.cluster_bits;
  version_ = header.version;
  l1_size_ = header.l1_size;
  l1_offset_ = header.l1_table_offset;
  const uint32_t entry_bits = geometry_.extended_l2 ? 4 : 3;
  l2_bits_ = header.cluster_bits - entry_bits;
  l2_entries_ = uint64_t{1} << l2_bits_;
  l1_window_ = arena.allocate_array<uint8_t>(kL1WindowEntries * kL1EntrySize);
  l2_table_ = arena.allocate_array<uint8_t>(cluster_size());
  if (l1_window_ == nullptr || l2_table_ == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  l1_window_valid_ = false;
  l2_loaded_offset_ = 0;
  return Status::Ok();
}

void ClusterMap::use_l1_table(uint64_t offset, uint64_t size) {
  l1_offset_ = offset;
  l1_size_ = size;
  l1_window_valid_ = false;
}

Status ClusterMap::l1_entry(uint64_t index, uint64_t* out) {
  if (!l1_window_valid_ || index < l1_window_first_ ||
      index - l1_window_first_ >= kL1WindowEntries) {
    l1_window_first_ = index - index % kL1WindowEntries;
    uint64_t count = l1_size_ - l1_window_first_;
    if (count > kL1WindowEntries) count = kL1WindowEntries;
    INSTAR_TRY(read_zero_filled(*file_, l1_offset_ + l1_window_first_ * kL1EntrySize,
                                MutableBytes(l1_window_, count * kL1EntrySize)));
    l1_window_valid_ = true;
  }
  *out = load_be64(l1_window_ + (index - l1_window_first_) * kL1EntrySize);
  return Status::Ok();
}

Status ClusterMap::load_l2(uint64_t l2_offset) {
  if (l2_loaded_offset_ == l2_offset) return Status::Ok();
  l2_loaded_offset_ = 0;
  INSTAR_TRY(read_zero_filled(*file_, l2_offset, MutableBytes(l2_table_, cluster_size())));
  l2_loaded_offset_ = l2_offset;
  return Status::Ok();
}

uint64_t ClusterMap::l2_word(uint64_t index, uint32_t word) const {
  const uint64_t stride = geometry_.extended_l2 ? 16 : 8;
  return load_be64(l2_table_ + index * stride + word * 8);
}

Status ClusterMap::map(uint64_t offset, uint64_t bytes, Mapping* out) {
  const uint32_t cluster_bits = geometry_.cluster_bits;
  const uint64_t cs = cluster_size();
  const uint64_t offset_in_cluster = offset & (cs - 1);
  uint64_t bytes_needed = bytes + offset_in_cluster;
  const uint64_t l2_index_first = (offset >> cluster_bits) & (l2_entries_ - 1);
  uint64_t bytes_available = (l2_entries_ - l2_index_first) << cluster_bits;
  if (bytes_needed > bytes_available) bytes_needed = bytes_available;

  Mapping m;
  m.type = SubclusterType::kUnallocatedPlain;
  const uint64_t l1_index = offset >> (cluster_bits + l2_bits_);
  uint64_t l1 = 0;
  if (l1_index < l1_size_) INSTAR_TRY(l1_entry(l1_index, &l1));
  const uint64_t l2_offset = l1 & kL1OffsetMask;
  if (l2_offset != 0) {
    if ((l2_offset & (cs - 1)) != 0) {
      return corrupt(instar_guest_ErrorCode_ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED, l2_offset,
                     l1_index);
    }
    INSTAR_TRY(load_l2(l2_offset));
    uint64_t l2_index = l2_index_first;
    const uint32_t sc_index =
        static_cast<uint32_t>(offset_in_cluster >> geometry_.subcluster_bits());
    const uint64_t entry = l2_word(l2_index, 0);
    const uint64_t bitmap = geometry_.extended_l2 ? l2_word(l2_index, 1) : 0;
    const uint64_t nb_clusters = (bytes_needed + cs - 1) >> cluster_bits;
    m.type = subcluster_type(geometry_, entry, bitmap, sc_index);
    if (version_ < 3 &&
        (m.type == SubclusterType::kZeroPlain || m.type == SubclusterType::kZeroAlloc)) {
      return corrupt(instar_guest_ErrorCode_ERROR_CORRUPT_ZERO_CLUSTER_PRE_V3, l2_offset, l2_index);
    }
    if (m.type == SubclusterType::kCompressed) {
      m.host_offset = entry;
    } else if (m.type == SubclusterType::kNormal || m.type == SubclusterType::kZeroAlloc ||
               m.type == SubclusterType::kUnallocatedAlloc) {
      const uint64_t host_cluster = entry & kL2OffsetMask;
      m.host_offset = host_cluster + offset_in_cluster;
      if ((host_cluster & (cs - 1)) != 0) {
        return Status(instar_guest_ErrorCode_ERROR_CORRUPT_CLUSTER_OFFSET_UNALIGNED, host_cluster,
                      l2_offset, l2_index);
      }
    }
    // count_contiguous_subclusters(): same type and, for allocated types, adjacent host clusters.
    uint64_t count = 0;
    SubclusterType expected = SubclusterType::kNormal;
    uint64_t expected_offset = 0;
    bool check_offset = false;
    for (uint64_t i = 0; i < nb_clusters; ++i) {
      const uint32_t first_sc = i == 0 ? sc_index : 0;
      const uint64_t e = l2_word(l2_index + i, 0);
      const uint64_t b = geometry_.extended_l2 ? l2_word(l2_index + i, 1) : 0;
      SubclusterType type;
      const int32_t run = subcluster_range(geometry_, e, b, first_sc, &type);
      if (run < 0) {
        return corrupt(instar_guest_ErrorCode_ERROR_CORRUPT_INVALID_CLUSTER_ENTRY, l2_offset,
                       l2_index + i);
      }
      if (i == 0) {
        if (type == SubclusterType::kCompressed) {
          count = static_cast<uint64_t>(run);
          break;
        }
        expected = type;
        expected_offset = e & kL2OffsetMask;
        check_offset = type == SubclusterType::kNormal || type == SubclusterType::kZeroAlloc ||
                       type == SubclusterType::kUnallocatedAlloc;
      } else if (type != expected) {
        break;
      } else if (check_offset) {
        expected_offset += cs;
        if (expected_offset != (e & kL2OffsetMask)) break;
      }
      count += static_cast<uint64_t>(run);
      if (first_sc + static_cast<uint32_t>(run) < geometry_.subclusters_per_cluster()) break;
    }
    bytes_available = (count + sc_index) << geometry_.subcluster_bits();
  }
  if (bytes_available > bytes_needed) bytes_available = bytes_needed;
  m.bytes = bytes_available - offset_in_cluster;
  *out = m;
  return Status::Ok();
}

}  // namespace instar::qcow2
