// readv_batches.h: cutting a batched read into kBlockReadv calls that respect the host's caps.
#pragma once

#include <stdint.h>

#include "guest/abi/abi.h"
#include "guest/lib/block_source.h"
#include "guest/lib/status.h"

namespace instar::kvm {

// OK when [offset, offset+length) lies inside a device of `capacity` bytes; ERROR_IO (offset,
// length) otherwise, as BlockSource::read_at documents. Checked on the guest side too so an
// out-of-range read is a clean parser error rather than a host refusal.
inline Status check_read_range(uint64_t capacity, uint64_t offset, uint64_t length) {
  if (offset > capacity || length > capacity - offset) {
    return Status(instar_guest_ErrorCode_ERROR_IO, offset, length);
  }
  return Status::Ok();
}

// Turns `requests` into ReadExtents in `extents` (room for `max_extents`) and calls
// `submit(const abi::ReadExtent*, uint32_t count) -> Status` once per batch. A batch holds at most
// `max_extents` extents and `max_bytes` bytes; a request larger than what is left of a batch is
// split across extents (and batches). Zero-length requests produce no extent. Stops at the first
// failing submit. Callers check every range first (check_read_range). Requires max_bytes > 0 and
// max_extents > 0.
template <typename Submit>
Status for_each_readv_batch(const ReadRequest* requests, uint32_t count, uint64_t max_bytes,
                            abi::ReadExtent* extents, uint32_t max_extents, Submit&& submit) {
  uint32_t used = 0;
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const ReadRequest& request = requests[i];
    uint64_t done = 0;
    while (done < request.out.size) {
      if (used == max_extents || bytes == max_bytes) {
        INSTAR_TRY(submit(static_cast<const abi::ReadExtent*>(extents), used));
        used = 0;
        bytes = 0;
      }
      uint64_t piece = request.out.size - done;
      if (piece > max_bytes - bytes) piece = max_bytes - bytes;
      // Identity mapping in the guest: a buffer's address is its GPA.
      extents[used++] = abi::ReadExtent{
          request.offset + done, reinterpret_cast<uintptr_t>(request.out.data + done), piece};
      bytes += piece;
      done += piece;
    }
  }
  if (used > 0) INSTAR_TRY(submit(static_cast<const abi::ReadExtent*>(extents), used));
  return Status::Ok();
}

}  // namespace instar::kvm
