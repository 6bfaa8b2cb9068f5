// model.cc: derived quantities of a qcow2 Model and the normalisation that keeps it writable.
#include "property-tests/model/model.h"

#include <algorithm>

namespace instar::props {

namespace {

constexpr uint64_t kMaxL1Entries = 256;  // keeps L1 tables small and images fast
constexpr uint64_t kMaxVirtualSize = uint64_t{1} << 40;
constexpr uint64_t kDataBudget = 8u << 20;  // bytes of data clusters per image
constexpr size_t kMaxClusters = 32;
constexpr size_t kMaxSnapshots = 4;
constexpr size_t kMaxUnknownExtensionData = 64;

uint64_t align8(uint64_t n) {
  return (n + 7) & ~uint64_t{7};
}

bool known_magic(uint32_t magic) {
  return magic == 0 || magic == kExtBackingFormat || magic == kExtDataFile || magic == kExtCrypto ||
         magic == kExtFeatureTable || magic == kExtBitmaps;
}

// File names end up as files in the oracle's directory: never empty, never "." or "..".
void fix_name(std::optional<std::string>& name) {
  if (!name) return;
  if (name->empty() || name->front() == '.') name->insert(name->begin(), 'f');
}

void normalize_clusters(Model& m) {
  const uint64_t count = m.guest_clusters();
  if (count == 0) {
    m.clusters.clear();
    return;
  }
  for (GuestCluster& c : m.clusters) c.index %= count;
  std::stable_sort(m.clusters.begin(), m.clusters.end(),
                   [](const GuestCluster& a, const GuestCluster& b) { return a.index < b.index; });
  m.clusters.erase(
      std::unique(m.clusters.begin(), m.clusters.end(),
                  [](const GuestCluster& a, const GuestCluster& b) { return a.index == b.index; }),
      m.clusters.end());
  const size_t budget = std::max<uint64_t>(2, kDataBudget / m.cluster_size());
  if (m.clusters.size() > std::min(budget, kMaxClusters)) {
    m.clusters.resize(std::min(budget, kMaxClusters));
  }
  for (GuestCluster& c : m.clusters) {
    // v2 has no zero flag; an external data file holds no compressed clusters (qemu refuses).
    if (m.version == 2 && (c.kind == ClusterKind::kZero || c.kind == ClusterKind::kZeroAllocated)) {
      c.kind = ClusterKind::kData;
    }
    if (m.data_file && c.kind == ClusterKind::kCompressed) c.kind = ClusterKind::kData;
    if (!m.extended_l2) {
      c.alloc_mask = 0xffffffff;
      c.zero_mask = 0;
      continue;
    }
    switch (c.kind) {
      case ClusterKind::kData:
        c.zero_mask &= ~c.alloc_mask;
        break;
      case ClusterKind::kZero:
      case ClusterKind::kZeroAllocated:
        c.alloc_mask = 0;
        c.zero_mask = 0xffffffff;
        break;
      case ClusterKind::kCompressed:
        c.alloc_mask = 0;
        c.zero_mask = 0;
        break;
    }
  }
}

void normalize_snapshots(Model& m) {
  if (m.data_file) m.snapshots.clear();
  if (m.snapshots.size() > kMaxSnapshots) m.snapshots.resize(kMaxSnapshots);
  for (Snapshot& s : m.snapshots) {
    if (s.id.empty()) s.id = "1";
    s.date_nsec %= 1000000000;
    s.vm_state_size %= kMaxVirtualSize;
    const uint32_t sizes[] = {0, 16, 24};
    s.extra_data_size = sizes[s.extra_data_size % 3];
    if (m.version == 3 && s.extra_data_size == 0) s.extra_data_size = 16;
    // Without extra data the VM state size is the 32-bit header field.
    if (s.extra_data_size == 0) s.vm_state_size &= 0xffffffff;
    if (s.extra_data_size < 24 || s.icount == ~uint64_t{0}) s.icount.reset();
  }
  // A shared L2 table (and its data) gets one reference per L1 pointing at it; the refcount
  // width bounds how many snapshots may share it.
  const size_t tables = m.l2_table_indexes().size();
  for (Snapshot& s : m.snapshots)
    s.shared_l2_mask &= tables >= 64 ? ~uint64_t{0} : ((uint64_t{1} << tables) - 1);
  for (size_t j = 0; j < tables && j < 64; ++j) {
    uint64_t refs = 1;
    for (Snapshot& s : m.snapshots) {
      if ((s.shared_l2_mask >> j & 1) == 0) continue;
      if (refs < m.max_refcount()) {
        ++refs;
      } else {
        s.shared_l2_mask &= ~(uint64_t{1} << j);
      }
    }
  }
}

// Cluster 0 holds header, extensions and backing name; drop optional parts until they fit.
void fit_cluster_zero(Model& m) {
  while (header_area_size(m) > m.cluster_size()) {
    if (!m.unknown_extensions.empty()) {
      m.unknown_extensions.pop_back();
    } else if (m.feature_table) {
      m.feature_table = false;
    } else if (m.backing_format) {
      m.backing_format.reset();
    } else if (m.data_file && m.data_file->size() > 1) {
      m.data_file->resize(m.data_file->size() / 2);
    } else if (m.backing_file && m.backing_file->size() > 1) {
      m.backing_file->resize(m.backing_file->size() / 2);
    } else {
      break;  // unreachable: the minimal header area is far below 512 bytes
    }
  }
}

}  // namespace

uint64_t Model::l1_size() const {
  const uint64_t covered = cluster_size() * l2_entries();
  return (virtual_size + covered - 1) / covered;
}

std::vector<uint64_t> Model::l2_table_indexes() const {
  std::vector<uint64_t> out;
  for (const GuestCluster& c : clusters) {
    const uint64_t l1_index = c.index / l2_entries();
    if (out.empty() || out.back() != l1_index) out.push_back(l1_index);
  }
  return out;
}

uint64_t Model::l2_table_references(size_t ordinal) const {
  uint64_t refs = 1;
  for (const Snapshot& s : snapshots) {
    if (ordinal < 64 && (s.shared_l2_mask >> ordinal & 1) != 0) ++refs;
  }
  return refs;
}

uint64_t header_area_size(const Model& m) {
  uint64_t at = m.version == 2 ? 72 : 112;
  auto extension = [&at](uint64_t length) { at += 8 + align8(length); };
  if (m.backing_format) extension(m.backing_format->size());
  if (m.data_file) extension(m.data_file->size());
  if (m.feature_table) extension(8 * 48);
  for (const UnknownExtension& e : m.unknown_extensions) extension(e.data.size());
  at += 8;  // end marker
  if (m.backing_file) at = align8(at) + m.backing_file->size();
  return at;
}

Model normalize(Model m) {
  m.version = m.version == 2 ? 2 : 3;
  m.cluster_bits = std::clamp<uint32_t>(m.cluster_bits, 9, 21);
  m.refcount_order = std::min<uint32_t>(m.refcount_order, 6);
  if (m.version == 2) {
    // v2 knows none of the v3 feature words, refcount widths or extensions below.
    m.refcount_order = 4;
    m.lazy_refcounts = m.extended_l2 = m.dirty = m.corrupt = m.feature_table = false;
    m.compression = Compression::kZlib;
    m.data_file.reset();
  }
  // qemu: "Extended L2 entries are only supported with cluster sizes of at least 16384 bytes".
  if (m.cluster_bits < 14) m.extended_l2 = false;
  if (!m.data_file) m.data_file_raw = false;
  if (!m.backing_file) m.backing_format.reset();
  if (m.backing_format && m.backing_format->size() > 15) m.backing_format->resize(15);
  if (m.backing_format && m.backing_format->empty()) m.backing_format = "raw";
  fix_name(m.backing_file);
  fix_name(m.data_file);
  if (m.data_file && m.backing_file && *m.data_file == *m.backing_file) *m.data_file += "-data";

  const uint64_t max_size =
      std::min(kMaxVirtualSize, kMaxL1Entries * m.cluster_size() * m.l2_entries());
  m.virtual_size = m.virtual_size % (max_size + 1) / 512 * 512;

  for (UnknownExtension& e : m.unknown_extensions) {
    if (known_magic(e.magic)) e.magic = 0x7a000000u | (e.magic & 0xffff) | 1;
    if (e.data.size() > kMaxUnknownExtensionData) e.data.resize(kMaxUnknownExtensionData);
  }
  normalize_clusters(m);
  normalize_snapshots(m);
  fit_cluster_zero(m);
  return m;
}

}  // namespace instar::props
