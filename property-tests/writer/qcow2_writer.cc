// qcow2_writer.cc: allocates host clusters for a Model, computes refcounts and encodes tables.
#include "property-tests/writer/qcow2_writer.h"

#include <string.h>

#include <algorithm>

#include "property-tests/writer/be_bytes.h"
#include "property-tests/writer/compress.h"
#include "property-tests/writer/data_pattern.h"
#include "property-tests/writer/header_area.h"
#include "property-tests/writer/refcount_codec.h"

namespace instar::props {

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}
uint64_t align8(uint64_t n) {
  return (n + 7) & ~uint64_t{7};
}

// Snapshot table entry: 0 l1_table_offset u64 | 8 l1_size u32 | 12 id_str_size u16
// | 14 name_size u16 | 16 date_sec u32 | 20 date_nsec u32 | 24 vm_clock_nsec u64
// | 32 vm_state_size u32 | 36 extra_data_size u32 | 40 extra data (vm_state_size_large u64,
// disk_size u64, icount u64 -- as many as extra_data_size covers) | id | name | pad to 8.
uint64_t snapshot_entry_size(const Snapshot& s) {
  return align8(40 + s.extra_data_size + s.id.size() + s.name.size());
}

class Allocator {
 public:
  explicit Allocator(const Model& m) : m_(m), cs_(m.cluster_size()) {}

  // Whole clusters for `bytes` (at least one), each with `references` references.
  uint64_t clusters(uint64_t bytes, uint64_t references) {
    const uint64_t first = next_;
    next_ += std::max<uint64_t>(1, ceil_div(bytes, cs_));
    for (uint64_t c = first; c < next_; ++c) add(c, references);
    return first * cs_;
  }

  // Compressed data is packed byte-wise like qcow2_alloc_bytes, but a host cluster never gets
  // more references than the refcount width holds: then the chunk starts a fresh cluster.
  uint64_t bytes(uint64_t length, uint64_t references) {
    if (pos_ == 0 || !fits(pos_, length, references)) pos_ = next_ * cs_;
    const uint64_t at = pos_;
    for (uint64_t c = at / cs_; c <= (at + length - 1) / cs_; ++c) add(c, references);
    pos_ += length;
    next_ = std::max(next_, ceil_div(pos_, cs_));
    return at;
  }

  uint64_t next_cluster() const { return next_; }
  std::vector<uint64_t>& refcounts() { return refcounts_; }
  void add(uint64_t cluster, uint64_t references) {
    if (refcounts_.size() <= cluster) refcounts_.resize(cluster + 1);
    refcounts_[cluster] += references;
  }

 private:
  bool fits(uint64_t at, uint64_t length, uint64_t references) const {
    for (uint64_t c = at / cs_; c <= (at + length - 1) / cs_; ++c) {
      const uint64_t have = c < refcounts_.size() ? refcounts_[c] : 0;
      if (have > m_.max_refcount() - references) return false;
    }
    return true;
  }

  const Model& m_;
  uint64_t cs_;
  uint64_t next_ = 1;  // cluster 0 is the header
  uint64_t pos_ = 0;
  std::vector<uint64_t> refcounts_{1};
};

struct PendingCompressed {
  size_t placement;
  std::vector<uint8_t> data;
};

// The refcount table and blocks must count themselves: find the smallest block count R and
// table size T with R * entries_per_block >= clusters + T + R and T * cs / 8 >= R.
void place_refcount_structures(Layout& layout, Allocator& alloc) {
  const uint64_t cs = layout.cluster_size;
  const uint64_t per_block = cs * 8 / layout.refcount_bits;
  const uint64_t used = alloc.next_cluster();
  uint64_t blocks = 1, table = 1;
  for (;;) {
    const uint64_t need_blocks = ceil_div(used + table + blocks, per_block);
    const uint64_t need_table = ceil_div(need_blocks * 8, cs);
    if (need_blocks == blocks && need_table == table) break;
    blocks = need_blocks;
    table = need_table;
  }
  layout.refcount_table_offset = alloc.clusters(table * cs, 1);
  layout.refcount_table_clusters = static_cast<uint32_t>(table);
  for (uint64_t i = 0; i < blocks; ++i) layout.refblock_offsets.push_back(alloc.clusters(cs, 1));
}

uint64_t standard_l2_entry(const Model& m, const ClusterPlacement& p) {
  const bool copied = m.data_file || p.references == 1;
  switch (p.kind) {
    case ClusterKind::kData:
      return p.host_offset | (copied ? kCopied : 0);
    case ClusterKind::kZeroAllocated:
      // With extended L2 bit 0 is reserved; the subcluster zero bits say "reads as zero".
      return p.host_offset | (m.extended_l2 ? 0 : kZeroFlag) | (copied ? kCopied : 0);
    case ClusterKind::kZero:
      return m.extended_l2 ? 0 : kZeroFlag;
    case ClusterKind::kCompressed: {
      // Compressed descriptor: x = 62 - (cluster_bits - 8); bits 0..x-1 host byte offset,
      // bits x..61 number of additional 512-byte sectors the data spans. COPIED never set.
      const uint32_t x = 62 - (m.cluster_bits - 8);
      const uint64_t extra_sectors =
          (p.host_offset + p.compressed_size - 1) / 512 - p.host_offset / 512;
      return kCompressedFlag | extra_sectors << x | p.host_offset;
    }
  }
  return 0;
}

void write_snapshot_table(const Model& m, std::vector<uint8_t>& out, const Layout& layout) {
  uint64_t at = layout.snapshot_table_offset;
  for (size_t i = 0; i < m.snapshots.size(); ++i) {
    const Snapshot& s = m.snapshots[i];
    store_be(out, at, layout.snapshot_l1_offsets[i], 8);
    store_be(out, at + 8, layout.l1_size, 4);
    store_be(out, at + 12, s.id.size(), 2);
    store_be(out, at + 14, s.name.size(), 2);
    store_be(out, at + 16, s.date_sec, 4);
    store_be(out, at + 20, s.date_nsec, 4);
    store_be(out, at + 24, s.vm_clock_nsec, 8);
    store_be(out, at + 32, s.vm_state_size & 0xffffffff, 4);
    store_be(out, at + 36, s.extra_data_size, 4);
    const uint64_t extra[3] = {s.vm_state_size, m.virtual_size, s.icount.value_or(~uint64_t{0})};
    for (uint32_t k = 0; k < s.extra_data_size / 8; ++k)
      store_be(out, at + 40 + 8 * k, extra[k], 8);
    uint64_t p = at + 40 + s.extra_data_size;
    memcpy(&out[p], s.id.data(), s.id.size());
    p += s.id.size();
    if (!s.name.empty()) memcpy(&out[p], s.name.data(), s.name.size());
    at += snapshot_entry_size(s);
  }
}

}  // namespace

WrittenImage write_image(const Model& m) {
  WrittenImage w;
  Layout& layout = w.layout;
  const uint64_t cs = m.cluster_size();
  layout.cluster_size = cs;
  layout.refcount_bits = m.refcount_bits();
  Allocator alloc(m);

  // Active L1 (none for an empty disk, as qemu-img create does).
  layout.l1_size = m.l1_size();
  if (layout.l1_size != 0) layout.l1_offset = alloc.clusters(layout.l1_size * 8, 1);
  const std::vector<uint64_t> tables = m.l2_table_indexes();
  for (size_t j = 0; j < tables.size(); ++j) {
    const uint64_t refs = m.l2_table_references(j);
    layout.l2_tables.push_back({tables[j], alloc.clusters(cs, refs), refs});
  }
  for (size_t i = 0; i < m.snapshots.size(); ++i) {
    layout.snapshot_l1_offsets.push_back(layout.l1_size != 0 ? alloc.clusters(layout.l1_size * 8, 1)
                                                             : 0);
  }
  for (const Snapshot& s : m.snapshots) layout.snapshot_table_size += snapshot_entry_size(s);
  if (!m.snapshots.empty()) {
    layout.snapshot_table_offset = alloc.clusters(layout.snapshot_table_size, 1);
  }

  // Data clusters; compressed ones are queued and packed after all whole clusters.
  std::vector<PendingCompressed> compressed;
  for (const GuestCluster& c : m.clusters) {
    const uint64_t l1_index = c.index / m.l2_entries();
    const auto table = std::find_if(layout.l2_tables.begin(), layout.l2_tables.end(),
                                    [&](const L2Placement& t) { return t.l1_index == l1_index; });
    ClusterPlacement p;
    p.guest_index = c.index;
    p.kind = c.kind;
    p.references = table->references;
    p.l2_entry_offset = table->offset + (c.index % m.l2_entries()) * m.l2_entry_size();
    if (c.kind == ClusterKind::kCompressed) {
      auto packed = compress_cluster(m.compression, pattern_bytes(c.pattern, c.index, cs), cs - 1);
      if (packed) {
        compressed.push_back({layout.clusters.size(), std::move(*packed)});
      } else {
        p.kind = ClusterKind::kData;
      }
    }
    if (p.kind == ClusterKind::kData || p.kind == ClusterKind::kZeroAllocated) {
      if (m.data_file) {
        // External data: host offset = guest offset, valid with and without data-file-raw.
        p.host_offset = c.index * cs;
        w.data_file_size = std::max(w.data_file_size, (c.index + 1) * cs);
      } else {
        p.host_offset = alloc.clusters(cs, p.references);
      }
    }
    layout.clusters.push_back(p);
  }
  for (const PendingCompressed& pc : compressed) {
    ClusterPlacement& p = layout.clusters[pc.placement];
    p.compressed_size = pc.data.size();
    p.host_offset = alloc.bytes(pc.data.size(), p.references);
  }

  place_refcount_structures(layout, alloc);
  const uint64_t total = alloc.next_cluster();
  layout.refcounts = alloc.refcounts();
  layout.refcounts.resize(total);
  layout.file_size = total * cs;
  w.bytes.assign(layout.file_size, 0);
  std::vector<uint8_t>& out = w.bytes;

  write_header_area(m, out, layout);

  // Refcount table: u64 offsets of the refcount blocks; blocks hold refcount_bits-wide entries.
  const uint64_t per_block = cs * 8 / layout.refcount_bits;
  for (size_t i = 0; i < layout.refblock_offsets.size(); ++i) {
    store_be(out, layout.refcount_table_offset + 8 * i, layout.refblock_offsets[i], 8);
  }
  for (uint64_t c = 0; c < total; ++c) {
    set_refcount(&out[layout.refblock_offsets[c / per_block]], c % per_block, layout.refcount_bits,
                 layout.refcounts[c]);
  }

  for (size_t j = 0; j < layout.l2_tables.size(); ++j) {
    const L2Placement& t = layout.l2_tables[j];
    store_be(out, layout.l1_offset + 8 * t.l1_index, t.offset | (t.references == 1 ? kCopied : 0),
             8);
    for (size_t i = 0; i < m.snapshots.size(); ++i) {
      if (j < 64 && (m.snapshots[i].shared_l2_mask >> j & 1) != 0) {
        store_be(out, layout.snapshot_l1_offsets[i] + 8 * t.l1_index, t.offset, 8);
      }
    }
  }

  for (size_t i = 0; i < layout.clusters.size(); ++i) {
    const ClusterPlacement& p = layout.clusters[i];
    const GuestCluster& c = m.clusters[i];
    store_be(out, p.l2_entry_offset, standard_l2_entry(m, p), 8);
    if (m.extended_l2) {
      // Extended L2: second u64 is the subcluster bitmap, bits 0-31 allocated, 32-63 zero. A
      // compressed cluster that did not shrink is written whole, as qemu writes it: every
      // subcluster allocated (the model's masks only describe data clusters).
      const bool whole = c.kind == ClusterKind::kCompressed && p.kind == ClusterKind::kData;
      const uint64_t bitmap =
          whole ? uint64_t{0xffffffff} : uint64_t{c.zero_mask} << 32 | c.alloc_mask;
      store_be(out, p.l2_entry_offset + 8, bitmap, 8);
    }
    if (p.kind == ClusterKind::kData) {
      std::vector<uint8_t> data = pattern_bytes(c.pattern, c.index, cs);
      if (m.data_file) {
        w.data_file.push_back({p.host_offset, std::move(data)});
      } else {
        memcpy(&out[p.host_offset], data.data(), data.size());
      }
    }
  }
  for (const PendingCompressed& pc : compressed) {
    const ClusterPlacement& p = layout.clusters[pc.placement];
    memcpy(&out[p.host_offset], pc.data.data(), pc.data.size());
  }

  write_snapshot_table(m, out, layout);
  return w;
}

}  // namespace instar::props
