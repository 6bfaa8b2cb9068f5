// commit_plan.h: the arithmetic of qemu 7.2's commit job (block/mirror.c as commit_active_start()
// runs it for qemu-img commit) that decides which ranges are copied how, kept pure for unit tests
// (guest/ops/tests/commit_plan_test.cc).
#pragma once

#include <stdint.h>

namespace instar::commit {

// DEFAULT_MIRROR_BUF_SIZE, MAX_IN_FLIGHT and MAX_IO_BYTES: one mirror_iteration() takes at most
// buf_size bytes of consecutive dirty chunks; a data copy is at most
// MAX(buf_size / MAX_IN_FLIGHT, MAX_IO_BYTES).
inline constexpr uint64_t kBufSize = 16u << 20;
inline constexpr uint64_t kMaxInFlight = 16;
inline constexpr uint64_t kMaxIoBytes = 1u << 20;
inline constexpr uint64_t kMaxCopyBytes =
    kBufSize / kMaxInFlight > kMaxIoBytes ? kBufSize / kMaxInFlight : kMaxIoBytes;

// bdrv_get_default_bitmap_granularity() of the base (the mirror's target): its cluster size
// clamped to [4 KiB, 64 KiB], 64 KiB for a driver without bdrv_get_info() (raw: 0).
constexpr uint64_t granularity(uint64_t base_cluster_size) {
  if (base_cluster_size == 0) return 65536;
  if (base_cluster_size < 4096) return 4096;
  return base_cluster_size > 65536 ? 65536 : base_cluster_size;
}

// The dirty bitmap's granules that cover [offset, offset + bytes): bdrv_set_dirty_bitmap() of an
// allocated range marks every granule it touches.
struct Range {
  uint64_t start = 0;
  uint64_t end = 0;
};
constexpr Range dirty_granules(uint64_t offset, uint64_t bytes, uint64_t g) {
  return {offset / g * g, (offset + bytes + g - 1) / g * g};
}

// How mirror_iteration() handles one chunk.
enum class Method { kCopy, kZero };

// mirror_iteration()'s size and method of the chunk at `offset` (granule-aligned) inside an
// iteration of `remaining` dirty bytes, given the block status of the whole chain there (`data`,
// `zero`, valid for `status_bytes`): data is copied at most kMaxCopyBytes at a time; a run that
// reads as zeros and covers whole clusters of the base is written as zeros; anything shorter
// than a granule is copied as one granule. The result is not yet clipped to the image's end.
struct Chunk {
  uint64_t bytes = 0;
  Method method = Method::kCopy;
};
constexpr Chunk plan_chunk(uint64_t offset, uint64_t remaining, bool data, bool zero,
                           uint64_t status_bytes, uint64_t g, uint64_t base_cluster_size) {
  uint64_t io = status_bytes < remaining ? status_bytes : remaining;
  if (data && io > kMaxCopyBytes) io = kMaxCopyBytes;
  io -= io % g;
  if (io < g) return {g, Method::kCopy};
  if (data) return {io, Method::kCopy};
  // bdrv_round_to_clusters() of the target must leave the range as it is.
  const uint64_t c = base_cluster_size;
  if (c != 0 && (offset % c != 0 || (offset + io) % c != 0)) return {io, Method::kCopy};
  // Neither data nor zero (a discard in qemu) does not occur over a chain whose bottom reads as
  // zeros where it has nothing: the generic block layer reports it ZERO.
  (void)zero;
  return {io, Method::kZero};
}

// run_block_job()'s progress after `done` of `total` bytes, as qemu_progress_print() gets it.
inline float progress_percent(uint64_t done, uint64_t total) {
  return total == 0 ? 0.0f : static_cast<float>(done) / static_cast<float>(total) * 100.f;
}

}  // namespace instar::commit
