// convert_copy.cc: convert_iteration_sectors / convert_co_read / convert_co_write /
// convert_do_copy of qemu-img.c (7.2), with one coroutine's in-order view of the work.
#include "guest/ops/convert_copy.h"

#include "guest/abi/abi.h"
#include "guest/lib/mem.h"
#include "guest/ops/sparse_scan.h"

namespace instar {

namespace {

// ImgConvertBlockStatus.
enum class ChunkStatus { kData, kZero, kBackingFile };

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

// qcow2_signal_corruption()'s events: qemu prints the first of each image and suppresses the rest.
bool is_corruption_event(const Status& s) {
  switch (s.code()) {
    case instar_guest_ErrorCode_ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED:
    case instar_guest_ErrorCode_ERROR_CORRUPT_CLUSTER_OFFSET_UNALIGNED:
    case instar_guest_ErrorCode_ERROR_CORRUPT_ZERO_CLUSTER_PRE_V3:
    case instar_guest_ErrorCode_ERROR_CORRUPT_INVALID_CLUSTER_ENTRY:
    case instar_guest_ErrorCode_ERROR_CORRUPT_REFBLOCK_OFFSET_UNALIGNED:
      return true;
    default:
      return false;
  }
}

// The failures --salvage gets past: those qemu's block layer returns as an I/O error of the
// image (a failed read, a qcow2 corruption event, a compressed cluster that does not inflate, a
// vmdk grain or qed table that does not resolve, a vhdx block state qemu cannot read, a qcow or
// parallels read that fails). instar's own refusals and limits still end the
// conversion: salvaging them would copy zeros where qemu copies data.
bool salvageable(const Status& s) {
  return is_corruption_event(s) || s.code() == instar_guest_ErrorCode_ERROR_IO ||
         s.code() == instar_guest_ErrorCode_ERROR_DECOMPRESSION_FAILED ||
         s.code() == instar_guest_ErrorCode_ERROR_VMDK_GRAIN ||
         s.code() == instar_guest_ErrorCode_ERROR_VMDK_CLUSTER_LOOKUP ||
         s.code() == instar_guest_ErrorCode_ERROR_QED_INVALID_OFFSET ||
         s.code() == instar_guest_ErrorCode_ERROR_VHDX_BLOCK_STATE ||
         s.code() == instar_guest_ErrorCode_ERROR_SMALL_EIO;
}

ConvertOutcome failure(instar_guest_ConvertKind kind, uint64_t offset, const Status& error) {
  ConvertOutcome o;
  o.kind = kind;
  o.offset = offset;
  o.error = error;
  return o;
}

class Copy {
 public:
  Copy(const ConvertInput* inputs, uint32_t count, ImageWriter& target, const ConvertSettings& s,
       uint8_t* buf)
      : inputs_(inputs), count_(count), target_(target), s_(s), buf_(buf) {
    for (uint32_t i = 0; i < count; ++i) total_ += inputs[i].image->length() / kSectorSize;
  }

  ConvertOutcome run(ConvertEventSink* events) {
    events_ = events;
    ConvertEventSink* progress = s_.progress ? events : nullptr;
    copy_range_ = s_.copy_range;
    // Calculate allocated sectors for progress (this pass also meets block status errors first).
    uint64_t allocated = 0;
    uint64_t sector = 0;
    while (sector < total_) {
      uint64_t n = 0;
      ConvertOutcome o;
      if (!iteration(sector, &n, &o)) return o;
      if (status_ == ChunkStatus::kData || (s_.min_sparse == 0 && status_ == ChunkStatus::kZero)) {
        allocated += n;
      }
      sector += n;
    }
    // Do the copy.
    next_status_ = 0;
    uint64_t done = 0;
    sector = 0;
    while (sector < total_) {
      uint64_t n = 0;
      ConvertOutcome o;
      if (!iteration(sector, &n, &o)) return o;
      ChunkStatus status = status_;
      if (s_.min_sparse == 0 && status == ChunkStatus::kZero) n = min64(n, s_.buf_sectors);
      if (status == ChunkStatus::kData || (s_.min_sparse == 0 && status == ChunkStatus::kZero)) {
        done += n;
        if (progress != nullptr) {
          const Status st = progress->progress(done, allocated);
          if (!st.ok()) {
            return failure(instar_guest_ConvertKind_CONVERT_WRITE_FAILED, sector * kSectorSize, st);
          }
        }
      }
      // convert_co_do_copy(): copy offloading for data; a source that cannot offload the
      // chunk (qcow2_co_copy_range_from(): compressed clusters) ends it for good (the retry).
      if (copy_range_ && status == ChunkStatus::kData && chunk_compressed_) copy_range_ = false;
      const bool copied_whole = copy_range_ && status == ChunkStatus::kData;
      if (status == ChunkStatus::kData) {
        const Status st = read(sector, n);
        if (!st.ok()) {
          return failure(instar_guest_ConvertKind_CONVERT_READ_FAILED, sector * kSectorSize, st);
        }
      } else if (s_.min_sparse == 0 && status == ChunkStatus::kZero) {
        status = ChunkStatus::kData;
        fill_bytes(buf_, 0, n * kSectorSize);
      }
      const Status st = copied_whole
                            ? target_.write(sector * kSectorSize, Bytes(buf_, n * kSectorSize))
                            : write(sector, n, status);
      if (!st.ok()) {
        return failure(instar_guest_ConvertKind_CONVERT_WRITE_FAILED, sector * kSectorSize, st);
      }
      sector += n;
    }
    // convert_do_copy(): with -c, an empty compressed write signals the end of the data (qcow2
    // pads its file to a cluster boundary).
    if (s_.compressed) {
      const Status signalled = target_.write_compressed(0, Bytes());
      if (!signalled.ok())
        return failure(instar_guest_ConvertKind_CONVERT_WRITE_FAILED, 0, signalled);
    }
    const Status finished = target_.finish();
    if (!finished.ok()) return failure(instar_guest_ConvertKind_CONVERT_FLUSH_FAILED, 0, finished);
    return ConvertOutcome();
  }

 private:
  // convert_select_part(): the input that holds output sector `sector`, and where it starts.
  void select_part(uint64_t sector, uint32_t* index, uint64_t* start) const {
    uint64_t offset = 0;
    uint32_t i = 0;
    while (i + 1 < count_ && sector - offset >= inputs_[i].image->length() / kSectorSize) {
      offset += inputs_[i].image->length() / kSectorSize;
      ++i;
    }
    *index = i;
    *start = offset;
  }

  // qemu's src_alignment: request alignment (one sector) or the input's cluster size.
  static uint64_t source_alignment(const CompareImage& image) {
    const uint64_t cluster = image.cluster_size() / kSectorSize;
    return cluster > 1 ? cluster : 1;
  }

  // convert_iteration_sectors(): the length of the next chunk and its status (status_).
  bool iteration(uint64_t sector, uint64_t* n_out, ConvertOutcome* error) {
    uint32_t cur = 0;
    uint64_t cur_offset = 0;
    select_part(sector, &cur, &cur_offset);
    uint64_t n = min64(total_ - sector, kRequestMaxSectors);
    bool post_backing_zero = false;
    if (s_.target_backing_sectors >= 0) {
      const uint64_t backing_end = static_cast<uint64_t>(s_.target_backing_sectors);
      if (sector >= backing_end) {
        post_backing_zero = true;
      } else if (sector + n > backing_end) {
        n = backing_end - sector;  // zeros are handled differently from there on
      }
    }
    if (next_status_ <= sector) {
      CompareImage& image = *inputs_[cur].image;
      const uint64_t offset = (sector - cur_offset) * kSectorSize;
      const uint64_t left = image.length() - offset;
      BlockStatus bs;
      for (;;) {
        const uint64_t count = min64(n * kSectorSize, left);
        const Status st = s_.target_has_backing ? image.layer_status(offset, count, &bs)
                                                : image.block_status(offset, count, &bs);
        if (st.ok()) break;
        if (!s_.salvage || !salvageable(st)) {
          *error = failure(instar_guest_ConvertKind_CONVERT_STATUS_FAILED, offset, st);
          return false;
        }
        if (n > 1) {  // retry on a shorter range
          n = (n + 3) / 4;
          continue;
        }
        // One sector: just try to read it, then.
        const Status reported = salvaged(SalvageKind::kBlockStatus, cur, offset, st);
        if (!reported.ok()) {
          *error = failure(instar_guest_ConvertKind_CONVERT_WRITE_FAILED, offset, reported);
          return false;
        }
        bs = BlockStatus();
        bs.flags = kBlockData;
        bs.bytes = kSectorSize;
        break;
      }
      n = (bs.bytes + kSectorSize - 1) / kSectorSize;
      // Keep sector_next_status aligned to the source's clusters.
      const uint64_t tail = (sector - cur_offset + n) % source_alignment(image);
      if (n > tail) n -= tail;
      // Unallocated ranges are left to the target's backing file, or copied as data.
      chunk_compressed_ = bs.compressed;
      if ((bs.flags & kBlockZero) != 0) {
        status_ = post_backing_zero ? ChunkStatus::kBackingFile : ChunkStatus::kZero;
      } else if ((bs.flags & kBlockData) != 0 || !s_.target_has_backing) {
        status_ = ChunkStatus::kData;
      } else {
        status_ = ChunkStatus::kBackingFile;
      }
      next_status_ = sector + n;
    }
    n = min64(n, next_status_ - sector);
    if (status_ == ChunkStatus::kData) n = min64(n, s_.buf_sectors);
    if (s_.compressed) {
      const uint64_t cluster = target_.cluster_size() / kSectorSize;
      if (n < cluster) {
        n = min64(cluster, total_ - sector);
        status_ = ChunkStatus::kData;
      } else if (cluster != 0) {
        n -= n % cluster;
      }
    }
    *n_out = n;
    return true;
  }

  // convert_co_read(): n sectors from output sector `sector`, across inputs when a compressed
  // cluster spans two of them.
  // --salvage: a failed read is retried sector by sector up to where it ended, and each sector
  // that still fails reads as zeros.
  Status read(uint64_t sector, uint64_t n) {
    uint8_t* out = buf_;
    uint64_t single_read_until = 0;
    while (n > 0) {
      uint32_t cur = 0;
      uint64_t cur_offset = 0;
      select_part(sector, &cur, &cur_offset);
      CompareImage& image = *inputs_[cur].image;
      const uint64_t offset = (sector - cur_offset) * kSectorSize;
      uint64_t part = min64(n, image.length() / kSectorSize - (sector - cur_offset));
      if (single_read_until > offset) part = 1;
      const Status st = image.read(offset, MutableBytes(out, part * kSectorSize));
      if (!st.ok()) {
        if (!s_.salvage || !salvageable(st)) return st;
        if (part > 1) {
          single_read_until = offset + part * kSectorSize;
          continue;
        }
        INSTAR_TRY(salvaged(SalvageKind::kRead, cur, offset, st));
        fill_bytes(out, 0, kSectorSize);
      }
      sector += part;
      n -= part;
      out += part * kSectorSize;
    }
    return Status::Ok();
  }

  // convert_co_write(): data runs written, zero runs skipped on a zero-initialised target or
  // written as zeroes, as -S decides.
  Status write(uint64_t sector, uint64_t n, ChunkStatus status) {
    // The backing file shows through where the input had nothing.
    if (status == ChunkStatus::kBackingFile) return Status::Ok();
    const uint8_t* buf = buf_;
    while (n > 0) {
      uint64_t run = n;
      bool zero = status == ChunkStatus::kZero;
      if (!zero) {
        if (s_.min_sparse == 0 ||
            (!s_.compressed &&
             is_allocated_sectors_min(buf, run, &run, s_.min_sparse, sector, s_.alignment)) ||
            (s_.compressed && !bytes_are_zero(buf, run * kSectorSize))) {
          const Bytes data(buf, run * kSectorSize);
          INSTAR_TRY(s_.compressed ? target_.write_compressed(sector * kSectorSize, data)
                                   : target_.write(sector * kSectorSize, data));
        } else {
          zero = true;
        }
      }
      if (zero && !s_.has_zero_init) {
        INSTAR_TRY(target_.write_zeroes(sector * kSectorSize, run * kSectorSize, true));
      }
      sector += run;
      n -= run;
      buf += run * kSectorSize;
    }
    return Status::Ok();
  }

  // Reports a sector --salvage gave up on; the input's first corruption event says so.
  Status salvaged(SalvageKind kind, uint32_t input, uint64_t offset, const Status& error) {
    const bool first_event = is_corruption_event(error) && !corruption_signalled_[input];
    if (first_event) corruption_signalled_[input] = true;
    if (events_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    return events_->salvaged(kind, input, offset, error, first_event);
  }

  const ConvertInput* inputs_;
  uint32_t count_;
  ImageWriter& target_;
  const ConvertSettings& s_;
  uint8_t* buf_;
  uint64_t total_ = 0;
  uint64_t next_status_ = 0;
  ChunkStatus status_ = ChunkStatus::kData;
  bool chunk_compressed_ = false;  // the current status run is a compressed cluster
  bool copy_range_ = false;
  ConvertEventSink* events_ = nullptr;
  bool corruption_signalled_[abi::kMaxConvertInputs] = {};
};

}  // namespace

ConvertOutcome convert_copy(const ConvertInput* inputs, uint32_t count, ImageWriter& target,
                            const ConvertSettings& settings, uint8_t* buf,
                            ConvertEventSink* events) {
  if (count == 0 || count > abi::kMaxConvertInputs) {
    return failure(instar_guest_ConvertKind_CONVERT_OPEN_FAILED, 0,
                   Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, count));
  }
  Copy copy(inputs, count, target, settings, buf);
  return copy.run(events);
}

}  // namespace instar
