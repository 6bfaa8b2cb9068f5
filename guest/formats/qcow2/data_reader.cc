// data_reader.cc: qcow2 guest reads: map runs, batch the data-cluster reads, zero-fill, decompress.
#include "guest/formats/qcow2/data_reader.h"

#include "guest/formats/qcow2/cluster_entries.h"
#include "guest/formats/qcow2/decompress.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar::qcow2 {

void DataReader::init(BlockSource& file, ClusterMap& map, uint8_t compression_type, Arena& arena) {
  file_ = &file;
  data_ = &file;
  backing_ = nullptr;
  map_ = &map;
  arena_ = &arena;
  compression_type_ = compression_type;
  batched_ = 0;
}

Status DataReader::flush() {
  const uint32_t count = batched_;
  batched_ = 0;
  if (count == 0) return Status::Ok();
  return data_->read_batch(batch_, count);
}

// Queues the part of the host range inside the file; zero-fills the rest now.
Status DataReader::queue(uint64_t host_offset, MutableBytes out) {
  const uint64_t file_size = data_->size();
  uint64_t inside = 0;
  if (host_offset < file_size) {
    inside = file_size - host_offset;
    if (inside > out.size) inside = out.size;
  }
  fill_bytes(out.data + inside, 0, out.size - inside);
  if (inside == 0) return Status::Ok();
  if (batched_ == kMaxBatch) INSTAR_TRY(flush());
  batch_[batched_++] = ReadRequest{host_offset, out.sub(0, inside)};
  return Status::Ok();
}

Status DataReader::read_compressed(uint64_t l2_entry, uint64_t offset_in_cluster,
                                   MutableBytes out) {
  const uint64_t cs = map_->cluster_size();
  if (compressed_in_ == nullptr) {
    // Kept for the whole op: compressed images usually have many compressed clusters.
    compressed_in_ = arena_->allocate_array<uint8_t>(2 * cs);
    compressed_out_ = arena_->allocate_array<uint8_t>(cs);
    if (compressed_in_ == nullptr || compressed_out_ == nullptr) {
      compressed_in_ = nullptr;
      return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    }
  }
  const CompressedExtent extent =
      decode_compressed_l2_entry(l2_entry, map_->geometry().cluster_bits);
  MutableBytes in(compressed_in_, extent.size);
  INSTAR_TRY(read_zero_filled(*file_, extent.offset, in));
  INSTAR_TRY(decompress_cluster(compression_type_, in, MutableBytes(compressed_out_, cs), *arena_));
  copy_bytes(out.data, compressed_out_ + offset_in_cluster, out.size);
  return Status::Ok();
}

Status DataReader::read(uint64_t offset, MutableBytes out) {
  const uint64_t cs = map_->cluster_size();
  uint64_t done = 0;
  while (done < out.size) {
    uint64_t want = out.size - done;
    if (want > kIntMax) want = kIntMax;
    Mapping m;
    Status mapped = map_->map(offset + done, want, &m);
    if (!mapped.ok()) {
      batched_ = 0;
      return mapped;
    }
    const MutableBytes part = out.sub(done, m.bytes);
    switch (m.type) {
      case SubclusterType::kNormal:
        INSTAR_TRY(queue(m.host_offset, part));
        break;
      case SubclusterType::kCompressed:
        INSTAR_TRY(read_compressed(m.host_offset, (offset + done) & (cs - 1), part));
        break;
      case SubclusterType::kUnallocatedPlain:
      case SubclusterType::kUnallocatedAlloc:
        if (backing_ != nullptr) {
          const Status from_backing = backing_->read_backing(offset + done, part);
          if (!from_backing.ok()) {
            batched_ = 0;
            return from_backing;
          }
          break;
        }
        fill_bytes(part.data, 0, part.size);  // no backing file: reads as zeros
        break;
      case SubclusterType::kZeroPlain:
      case SubclusterType::kZeroAlloc:
        fill_bytes(part.data, 0, part.size);
        break;
      case SubclusterType::kInvalid:
        batched_ = 0;
        return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    }
    done += m.bytes;
  }
  return flush();
}

}  // namespace instar::qcow2
