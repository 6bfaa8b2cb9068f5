// measure_size.cc: qcow2_calc_prealloc_size() and qcow2_refcount_metadata_size() of qemu 7.2.
#include "guest/formats/qcow2/measure_size.h"

#include "guest/formats/qcow2/limits.h"

namespace instar::qcow2 {

namespace {

uint64_t div_round_up(uint64_t n, uint64_t d) {
  return (n + d - 1) / d;
}

uint64_t l2_entry_size(const MeasureTarget& target) {
  return target.extended_l2 ? 16 : 8;
}

}  // namespace

bool measure_l1_fits(const MeasureTarget& target, uint64_t virtual_size) {
  const uint64_t cs = target.cluster_size;
  const uint64_t l2_tables = div_round_up(virtual_size / cs, cs / l2_entry_size(target));
  // qemu multiplies in 64 bits; a product that wraps cannot arise below 2^61 tables.
  return l2_tables <= kMaxL1SizeBytes / kL1EntrySize;
}

uint64_t refcount_metadata_size(uint64_t clusters, uint64_t cluster_size, uint32_t refcount_order) {
  // The fixed point where the refcount blocks and table also count themselves.
  const uint64_t blocks_per_table_cluster = cluster_size / 8;
  const uint64_t refcounts_per_block = cluster_size * 8 / (1ull << refcount_order);
  uint64_t table = 0;
  uint64_t blocks = 0;
  uint64_t n = 0;
  uint64_t last = 0;
  do {
    last = n;
    blocks = div_round_up(clusters + table + blocks, refcounts_per_block);
    table = div_round_up(blocks, blocks_per_table_cluster);
    n = clusters + blocks + table;
  } while (n != last);
  return (blocks + table) * cluster_size;
}

uint64_t measure_fully_allocated(const MeasureTarget& target, uint64_t virtual_size) {
  const uint64_t cs = target.cluster_size;
  const uint64_t l2e = l2_entry_size(target);
  const uint64_t aligned = round_up_to_cluster(virtual_size, cs);
  uint64_t meta = cs;  // the header cluster
  uint64_t nl2e = aligned / cs;
  nl2e = round_up_to_cluster(nl2e, cs / l2e);
  meta += nl2e * l2e;
  uint64_t nl1e = nl2e * l2e / cs;
  nl1e = round_up_to_cluster(nl1e, cs / kL1EntrySize);
  meta += nl1e * kL1EntrySize;
  meta += refcount_metadata_size((meta + aligned) / cs, cs, target.refcount_order);
  return target.luks_payload + meta + aligned;
}

uint64_t measure_required(const MeasureTarget& target, uint64_t virtual_size, uint64_t data_bytes) {
  return measure_fully_allocated(target, virtual_size) -
         round_up_to_cluster(virtual_size, target.cluster_size) + data_bytes;
}

uint64_t measure_bitmap_size(uint64_t image_length, uint32_t granularity_bits,
                             uint64_t cluster_size) {
  const uint64_t bits = div_round_up(image_length, 1ull << granularity_bits);
  const uint64_t bytes = div_round_up(bits, 8);
  const uint64_t clusters = div_round_up(bytes, cluster_size);
  return clusters * cluster_size + round_up_to_cluster(clusters * 8, cluster_size);
}

}  // namespace instar::qcow2
