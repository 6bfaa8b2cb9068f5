// corruptions.cc: one injector per ProblemKind, each editing bytes found through the Layout.
#include "property-tests/injectors/corruptions.h"

#include <vector>

#include "property-tests/injectors/field_mutation.h"
#include "property-tests/injectors/header_fields.h"
#include "property-tests/writer/be_bytes.h"
#include "property-tests/writer/refcount_codec.h"

namespace instar::props {

namespace {

Planted record(ProblemKind kind, std::string field, uint64_t offset, uint32_t width,
               uint64_t old_value, uint64_t new_value) {
  Planted p;
  p.kind = kind;
  p.field = std::move(field);
  p.offset = offset;
  p.width = width;
  p.old_value = old_value;
  p.new_value = new_value;
  return p;
}

// File offset of the refcount entry of host cluster `cluster` (and its bit position for
// sub-byte widths), or nullopt when no refcount block covers it.
std::optional<uint8_t*> refblock_for(WrittenImage& w, uint64_t cluster, uint64_t* index) {
  const Layout& l = w.layout;
  const uint64_t per_block = l.cluster_size * 8 / l.refcount_bits;
  if (cluster / per_block >= l.refblock_offsets.size()) return std::nullopt;
  *index = cluster % per_block;
  return &w.bytes[l.refblock_offsets[cluster / per_block]];
}

std::optional<Planted> set_refcount_of(WrittenImage& w, ProblemKind kind, uint64_t cluster,
                                       uint64_t value) {
  uint64_t index = 0;
  const auto block = refblock_for(w, cluster, &index);
  if (!block) return std::nullopt;
  const uint64_t old = get_refcount(*block, index, w.layout.refcount_bits);
  set_refcount(*block, index, w.layout.refcount_bits, value);
  return record(kind, "refcount[" + std::to_string(cluster) + "]", 0, 0, old, value);
}

// A leaked cluster: one more cluster at the end of the file whose refcount says 1.
std::optional<Planted> plant_leak(WrittenImage& w) {
  const uint64_t cluster = w.layout.file_size / w.layout.cluster_size;
  auto p = set_refcount_of(w, ProblemKind::kLeak, cluster, 1);
  if (!p) return std::nullopt;
  w.bytes.resize(w.bytes.size() + w.layout.cluster_size);
  p->expect_leaks = 1;
  return p;
}

bool has_copied_flag(const Model& m, const Layout& l, uint64_t cluster) {
  for (const L2Placement& t : l.l2_tables) {
    if (t.offset / l.cluster_size == cluster) return true;
  }
  if (m.data_file) return false;
  for (const ClusterPlacement& c : l.clusters) {
    if ((c.kind == ClusterKind::kData || c.kind == ClusterKind::kZeroAllocated) &&
        c.host_offset / l.cluster_size == cluster) {
      return true;
    }
  }
  return false;
}

// Refcount of a referenced cluster off by N: too high is a leak, too low a corruption.
std::optional<Planted> plant_refcount_off(const Model& m, WrittenImage& w,
                                          const CorruptionPlan& plan) {
  std::vector<uint64_t> used;
  for (uint64_t c = 0; c < w.layout.refcounts.size(); ++c) {
    if (w.layout.refcounts[c] != 0) used.push_back(c);
  }
  const uint64_t cluster = used[plan.pick % used.size()];
  const uint64_t have = w.layout.refcounts[cluster];
  const uint64_t n = 1 + plan.amount % 3;
  const bool up = n <= m.max_refcount() && have <= m.max_refcount() - n && (plan.amount & 4) == 0;
  const uint64_t value = up ? have + n : (have > n ? have - n : 0);
  auto p = set_refcount_of(w, ProblemKind::kRefcountOffByN, cluster, value);
  if (!p || value == have) return std::nullopt;
  if (up) {
    p->expect_leaks = 1;
  } else {
    p->expect_corruptions = 1;
  }
  // qemu's check_oflag_copied also flags an active L2 table or data cluster whose COPIED bit
  // (set iff refcount == 1) no longer matches its refcount.
  if ((have == 1) != (value == 1) && has_copied_flag(m, w.layout, cluster)) {
    p->expect_corruptions += 1;
  }
  return p;
}

// Allocated clusters only the active L1 reaches: qemu reports a problem in a shared L2 table
// once per L1 walking it, which would blur the expectation.
std::vector<const ClusterPlacement*> allocated_clusters(const WrittenImage& w) {
  std::vector<const ClusterPlacement*> out;
  for (const ClusterPlacement& c : w.layout.clusters) {
    if ((c.kind == ClusterKind::kData || c.kind == ClusterKind::kZeroAllocated) &&
        c.references == 1) {
      out.push_back(&c);
    }
  }
  return out;
}

// An unused L2 slot pointing past the end of the file: referenced, refcount 0.
std::optional<Planted> plant_dangling(const Model& m, WrittenImage& w, const CorruptionPlan& plan) {
  if (m.data_file || w.layout.l2_tables.empty()) return std::nullopt;
  const L2Placement& table = w.layout.l2_tables[plan.pick % w.layout.l2_tables.size()];
  for (uint64_t k = 0; k < m.l2_entries(); ++k) {
    const uint64_t slot = (plan.pick / 7 + k) % m.l2_entries();
    const uint64_t at = table.offset + slot * m.l2_entry_size();
    if (load_be(w.bytes, at, 8) != 0 || (m.extended_l2 && load_be(w.bytes, at + 8, 8) != 0)) {
      continue;
    }
    const uint64_t target = w.layout.file_size + (1 + plan.amount % 16) * w.layout.cluster_size;
    // Without COPIED: its refcount is 0, so only the reference beyond the end is reported
    // ("counting reference for region exceeding the end of the file").
    store_be(w.bytes, at, target, 8);
    Planted p = record(ProblemKind::kDanglingL2, "l2@" + std::to_string(at), at, 8, 0, target);
    p.expect_corruptions = table.references;  // qemu walks a shared table once per L1
    return p;
  }
  return std::nullopt;
}

// An allocated cluster's L2 offset moved by 512 bytes (impossible to express with 512-byte
// clusters: the offset field starts at bit 9).
std::optional<Planted> plant_misaligned(const Model& m, WrittenImage& w,
                                        const CorruptionPlan& plan) {
  const auto clusters = allocated_clusters(w);
  if (m.cluster_bits == 9 || clusters.empty()) return std::nullopt;
  const ClusterPlacement& c = *clusters[plan.pick % clusters.size()];
  const uint64_t old = load_be(w.bytes, c.l2_entry_offset, 8);
  store_be(w.bytes, c.l2_entry_offset, old + 512, 8);
  Planted p = record(ProblemKind::kMisalignedL2, "l2@" + std::to_string(c.l2_entry_offset),
                     c.l2_entry_offset, 8, old, old + 512);
  // qemu reports the misalignment and still counts a reference for every cluster the
  // misaligned range [offset, offset + cluster size) touches: the next host cluster (the
  // writer always has one after a data cluster) gets one reference too many. Clusters in an
  // external data file are not refcounted.
  p.expect_corruptions = m.data_file ? 1 : 2;
  return p;
}

// Cluster a's L2 entry now points at cluster b's host cluster: b is referenced twice as often
// as counted, a's own cluster is leaked.
std::optional<Planted> plant_overlap(const Model& m, WrittenImage& w, const CorruptionPlan& plan) {
  const auto clusters = allocated_clusters(w);
  if (m.data_file || clusters.size() < 2) return std::nullopt;
  const ClusterPlacement& a = *clusters[plan.pick % clusters.size()];
  const ClusterPlacement& b =
      *clusters[(plan.pick + 1 + plan.amount % (clusters.size() - 1)) % clusters.size()];
  const uint64_t old = load_be(w.bytes, a.l2_entry_offset, 8);
  const uint64_t value = (old & ~kOffsetMask) | b.host_offset;
  store_be(w.bytes, a.l2_entry_offset, value, 8);
  Planted p = record(ProblemKind::kOverlap, "l2@" + std::to_string(a.l2_entry_offset),
                     a.l2_entry_offset, 8, old, value);
  p.expect_corruptions = 1;
  p.expect_leaks = 1;
  return p;
}

Planted plant_header_word(WrittenImage& w, ProblemKind kind, const char* name, uint64_t offset,
                          uint64_t add, bool open_error) {
  const uint64_t old = load_be(w.bytes, offset, 8);
  const uint64_t value =
      kind == ProblemKind::kDirtyBit || kind == ProblemKind::kCorruptBit ? old | add : old + add;
  store_be(w.bytes, offset, value, 8);
  Planted p = record(kind, name, offset, 8, old, value);
  p.expect_open_error = open_error;
  return p;
}

}  // namespace

void showValue(const CorruptionPlan& plan, std::ostream& os) {
  os << "{kind: " << problem_name(plan.kind) << ", pick: " << plan.pick
     << ", amount: " << plan.amount << "}";
}

const char* problem_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kHeaderField:
      return "header-field";
    case ProblemKind::kLeak:
      return "leak";
    case ProblemKind::kRefcountOffByN:
      return "refcount-off-by-n";
    case ProblemKind::kDanglingL2:
      return "dangling-l2";
    case ProblemKind::kMisalignedL2:
      return "misaligned-l2";
    case ProblemKind::kOverlap:
      return "overlap";
    case ProblemKind::kBadL1Offset:
      return "bad-l1-offset";
    case ProblemKind::kBadRefcountTableOffset:
      return "bad-refcount-table-offset";
    case ProblemKind::kDirtyBit:
      return "dirty-bit";
    case ProblemKind::kCorruptBit:
      return "corrupt-bit";
  }
  return "?";
}

rc::Gen<CorruptionPlan> gen_corruption_plan() {
  using rc::gen::set;
  return rc::gen::build<CorruptionPlan>(
      set(&CorruptionPlan::kind,
          rc::gen::element(ProblemKind::kHeaderField, ProblemKind::kLeak,
                           ProblemKind::kRefcountOffByN, ProblemKind::kDanglingL2,
                           ProblemKind::kMisalignedL2, ProblemKind::kOverlap,
                           ProblemKind::kBadL1Offset, ProblemKind::kBadRefcountTableOffset,
                           ProblemKind::kDirtyBit, ProblemKind::kCorruptBit)),
      set(&CorruptionPlan::pick, rc::gen::arbitrary<uint64_t>()),
      set(&CorruptionPlan::amount, rc::gen::arbitrary<uint64_t>()));
}

std::optional<Planted> plant(const CorruptionPlan& plan, const Model& m, WrittenImage& w) {
  switch (plan.kind) {
    case ProblemKind::kHeaderField: {
      const std::vector<Field> fields = header_fields(m, w.layout);
      return mutate_field(w.bytes, fields[plan.pick % fields.size()],
                          static_cast<uint32_t>(plan.amount % kMutationStrategies),
                          plan.amount / kMutationStrategies);
    }
    case ProblemKind::kLeak:
      return plant_leak(w);
    case ProblemKind::kRefcountOffByN:
      return plant_refcount_off(m, w, plan);
    case ProblemKind::kDanglingL2:
      return plant_dangling(m, w, plan);
    case ProblemKind::kMisalignedL2:
      return plant_misaligned(m, w, plan);
    case ProblemKind::kOverlap:
      return plant_overlap(m, w, plan);
    case ProblemKind::kBadL1Offset:
      // qemu: "Active L1 table offset invalid" (validate_table_offset: not cluster aligned).
      return plant_header_word(w, plan.kind, "header.l1_table_offset", 40, 8, true);
    case ProblemKind::kBadRefcountTableOffset:
      // qemu: "Reference count table offset invalid".
      return plant_header_word(w, plan.kind, "header.refcount_table_offset", 48, 8, true);
    case ProblemKind::kDirtyBit:
      if (m.version == 2) return std::nullopt;
      return plant_header_word(w, plan.kind, "header.incompatible_features", 72, 1, false);
    case ProblemKind::kCorruptBit:
      if (m.version == 2) return std::nullopt;
      return plant_header_word(w, plan.kind, "header.incompatible_features", 72, 2, false);
  }
  return std::nullopt;
}

}  // namespace instar::props
