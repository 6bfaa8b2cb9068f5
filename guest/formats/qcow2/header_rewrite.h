// header_rewrite.h: qcow2_update_header() of an image that is open: the header fields its state
// gives, and the rewrite of the whole first cluster (rebase, amend).
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/header_writer.h"
#include "guest/formats/qcow2/open.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// The image's first cluster as it was opened and the fields qcow2_update_header() takes from
// the open image's state: version, sizes, table offsets, feature words, the backing file name and
// format as the image has them, its unknown extensions (kept) and the size as bs->total_sectors
// in bytes. The caller changes what its operation changes, then calls write_header().
struct HeaderRewrite {
  HeaderFields fields;
  MutableBytes old_cluster;  // the first cluster as read (the views in `fields` point into it)
  MutableBytes cluster;      // where write_header() builds the new one
};
Status prepare_header_rewrite(const Metadata& m, BlockSource& source, Arena& arena,
                              HeaderRewrite* out);

// Builds the first cluster from `rewrite.fields` and writes it whole at offset 0, then flushes:
// one bdrv_pwrite() of qemu's header buffer. ERROR_CREATE_HEADER_NO_SPACE where qemu gets
// -ENOSPC (the cluster does not hold it); a write or flush failure as the sink reports it.
Status write_header(HeaderRewrite& rewrite, BlockSink& sink);

}  // namespace instar::qcow2
