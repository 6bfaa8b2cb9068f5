// raw_truncate.h: file-posix's raw_regular_truncate() of a new, empty image file: the size it is
// given, with a preallocation mode, as convert -O raw, create -f raw and a new data file get it.
#pragma once

#include <cstdint>
#include <string>

#include "engine/cli/preallocation.h"

namespace instar::cli {

// Sizes the empty file `fd` to `size`: falloc allocates the range, full writes zeros over it and
// syncs, off truncates; falloc and off then write the first block (allocate_first_block(): 512
// bytes below 4 KiB, else 4 KiB, for alignment probing; failures ignored); metadata is no mode
// of a file. False with `*error`, qemu's text.
bool truncate_new_file(int fd, uint64_t size, Preallocation mode, std::string* error);

// Zeros written over [start, end) of `fd` (what a qcow2 image's perform_cow() writes into a new
// data file). False with `*error`.
bool write_zero_range(int fd, uint64_t start, uint64_t end, std::string* error);

// handle_aiocb_truncate() growing a file from `start` (its length then) to `end` with falloc or
// full, done after the guest wrote the file: falloc allocates [start, end); full writes zeros
// where that range is still a hole (SEEK_HOLE), so bytes the guest wrote there since stay, and
// syncs. The file is at least `end` long afterwards. False with `*error`, qemu's text.
bool preallocate_range(int fd, uint64_t start, uint64_t end, Preallocation mode,
                       std::string* error);
// handle_aiocb_truncate() of an existing file `current_length` bytes long (resize): falloc and
// full preallocate only what lies past `current_length`, and the first block is written only
// when the file was empty.
bool truncate_file(int fd, uint64_t current_length, uint64_t size, Preallocation mode,
                   std::string* error);

}  // namespace instar::cli
