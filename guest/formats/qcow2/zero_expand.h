// zero_expand.h: qcow2_expand_zero_clusters() for a downgrade to compat=0.10, and
// qcow2_has_compressed_clusters(): the L2 walks qcow2_downgrade() makes.
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/header.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// One L1 table the walk visits: the active one first, then each snapshot's, in table order.
struct L1Table {
  uint64_t offset = 0;
  uint32_t size = 0;
};

// amend_status_cb()'s (offset, total) pairs: called after each L1 entry visited.
class ExpandProgress {
 public:
  virtual void report(int64_t done, int64_t total) = 0;

 protected:
  ~ExpandProgress() = default;
};

struct ZeroExpansion {
  BlockSource& source;  // the image as opened (reads see earlier writes)
  BlockSink* sink;      // nullptr: a dry run, which only looks
  const Header& header;
  bool has_backing;
  const L1Table* tables;  // tables[0] is the active L1
  uint32_t table_count;
};

// What a dry run found that instar does not expand: a zero cluster without a host cluster in a
// backed image (qemu allocates a cluster for it; instar does not yet).
struct ZeroScan {
  bool needs_allocation = false;
};

// expand_zero_clusters_in_l1() over every table, without subclusters (the downgrade refused
// extended L2 before): a zero cluster without a host cluster of an image without a backing file
// becomes unallocated; a preallocated one has its cluster zeroed first, then becomes a normal
// cluster (COPIED when its L2 table's refcount is 1). Each changed L2 table is written whole
// after its entries change, and the device flushed. Reads L2 tables and refcounts from `source`.
// A dry run (sink == nullptr) writes nothing and reports nothing, it fills `scan`.
Status expand_zero_clusters(const ZeroExpansion& e, Arena& arena, ExpandProgress* progress,
                            ZeroScan* scan);

// qcow2_has_compressed_clusters(): whether the active L1's L2 tables name a compressed cluster.
Result<bool> has_compressed_clusters(BlockSource& source, const Header& header, Arena& arena);

}  // namespace instar::qcow2
