// data_reader.h: guest data of a qcow2 image, as qcow2_co_preadv_part reads it: data clusters
// from the image or its external data file, unallocated ranges from the backing file.
#pragma once

#include <stdint.h>

#include "guest/formats/driver.h"
#include "guest/formats/qcow2/cluster_map.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Where unallocated guest ranges come from: the backing file as qemu reads it through
// bdrv_co_preadv_part (the backing's own chain, zeros beyond its end).
// (The driver interface's, driver.h.)
using BackingReader = instar::BackingReader;

// Reads guest ranges: data clusters from the image file (batched into one read_batch per call),
// zero and unallocated (sub)clusters as zeros, compressed clusters decompressed. Host bytes past
// the end of the file read as zeros, as through qemu's file driver.
class DataReader {
 public:
  // `file` and `map` must outlive the reader.
  void init(BlockSource& file, ClusterMap& map, uint8_t compression_type, Arena& arena);

  // Normal clusters are read from `data_file` (qcow2's external data file, whose host offsets
  // the L2 entries are) instead of the image file. Must outlive the reader.
  void set_data_file(BlockSource& data_file) { data_ = &data_file; }

  // Unallocated (sub)clusters read from `backing` instead of as zeros. Must outlive the reader.
  void set_backing(BackingReader& backing) { backing_ = &backing; }

  // Fills `out` with the guest bytes at `offset` (the range must be inside the virtual disk).
  Status read(uint64_t offset, MutableBytes out);

 private:
  Status read_compressed(uint64_t l2_entry, uint64_t offset_in_cluster, MutableBytes out);
  Status queue(uint64_t host_offset, MutableBytes out);
  Status flush();

  static constexpr uint32_t kMaxBatch = 256;

  BlockSource* file_ = nullptr;
  BlockSource* data_ = nullptr;  // where normal clusters are: file_ or the external data file
  BackingReader* backing_ = nullptr;
  ClusterMap* map_ = nullptr;
  Arena* arena_ = nullptr;
  uint8_t compression_type_ = 0;
  uint8_t* compressed_in_ = nullptr;   // 2 clusters: the most a descriptor can span
  uint8_t* compressed_out_ = nullptr;  // 1 cluster
  ReadRequest batch_[kMaxBatch];
  uint32_t batched_ = 0;
};

}  // namespace instar::qcow2
