// compare_extents.h: what the file system says of an image file for the guest's block status: its
// data extents (SEEK_DATA/SEEK_HOLE) as a device, and its allocated size.
#pragma once

#include <cstdint>

#include "engine/sandbox/unique_fd.h"

namespace instar::cli {

// qemu's file driver reports holes of sparse files as zero extents (block status), which
// `compare -s` compares; the guest cannot lseek, so the host hands it the extents. Returns a
// sealed memfd holding big-endian u64 pairs [start, end) of the data extents of `fd`
// (`size` bytes), in order. Where lseek cannot tell (no SEEK_DATA support, or more than
// kMaxExtents extents) the whole file is one data extent, as qemu treats a failed lookup.
// An invalid UniqueFd means the memfd itself could not be made.
sandbox::UniqueFd make_extent_map(int fd, uint64_t size);

inline constexpr uint64_t kMaxExtents = 1u << 20;

// file-posix's bdrv_get_allocated_file_size(): st_blocks * 512, or abi::kAllocationUnknown when
// fstat fails.
uint64_t allocated_file_size(int fd);

}  // namespace instar::cli
