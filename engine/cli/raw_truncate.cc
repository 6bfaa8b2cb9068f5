// raw_truncate.cc: sizing a new image file as file-posix's handle_aiocb_truncate() does.
#include "engine/cli/raw_truncate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace instar::cli {

namespace {

// Zeros over [at, end) of `fd`; false with `*error` as file-posix words a failed write.
bool write_zeros(int fd, uint64_t at, uint64_t end, std::string* error) {
  static constexpr uint8_t kZeros[65536] = {};
  while (at < end) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof kZeros, end - at));
    const ssize_t w = pwrite(fd, kZeros, n, static_cast<off_t>(at));
    if (w <= 0) {
      *error = std::string("Could not write zeros for preallocation: ") +
               std::strerror(w < 0 ? errno : EIO);
      return false;
    }
    at += static_cast<uint64_t>(w);
  }
  return true;
}

// allocate_first_block(): the first block written (512 bytes below 4 KiB, else 4 KiB) so that
// alignment probing reads allocated data; failures ignored, as qemu ignores them.
void allocate_first_block(int fd, uint64_t size) {
  static constexpr uint8_t kZeros[4096] = {};
  const size_t first = size < sizeof kZeros ? 512 : sizeof kZeros;
  (void)!pwrite(fd, kZeros, first, 0);
}

bool sync_file(int fd, std::string* error) {
  if (fsync(fd) == 0) return true;
  *error = std::string("Could not flush file to disk: ") + std::strerror(errno);
  return false;
}

}  // namespace

bool truncate_new_file(int fd, uint64_t size, Preallocation mode, std::string* error) {
  return truncate_file(fd, 0, size, mode, error);
}

bool truncate_file(int fd, uint64_t current_length, uint64_t size, Preallocation mode,
                   std::string* error) {
  if (mode != Preallocation::kOff && current_length > size) {
    *error = "Cannot use preallocation for shrinking files";
    return false;
  }
  if (mode == Preallocation::kMetadata) {
    *error = "Unsupported preallocation mode: metadata";
    return false;
  }
  if (size > static_cast<uint64_t>(INT64_MAX)) {
    *error = std::string("Could not resize file: ") + std::strerror(EINVAL);
    return false;
  }
  if (mode == Preallocation::kFalloc && size > current_length) {
    const int rc = posix_fallocate(fd, static_cast<off_t>(current_length),
                                   static_cast<off_t>(size - current_length));
    if (rc != 0) {
      *error = std::string("Could not preallocate new data: ") + std::strerror(rc);
      return false;
    }
    // handle_aiocb_truncate(): fallocate()d blocks read as zeros without I/O, so a file grown
    // from empty gets its first block written for alignment probing.
    if (current_length == 0) allocate_first_block(fd, size);
  }
  // full: the final length first (less fragmentation), then zeros over what is new, then sync.
  if (mode == Preallocation::kFull) {
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
      *error = std::string("Could not resize file: ") + std::strerror(errno);
      return false;
    }
    if (!write_zeros(fd, current_length, size, error) || !sync_file(fd, error)) return false;
  }
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    *error = std::string("Could not resize file: ") + std::strerror(errno);
    return false;
  }
  if (mode == Preallocation::kOff && current_length == 0 && size > 0) {
    allocate_first_block(fd, size);
  }
  return true;
}

bool write_zero_range(int fd, uint64_t start, uint64_t end, std::string* error) {
  return write_zeros(fd, start, end, error);
}

bool preallocate_range(int fd, uint64_t start, uint64_t end, Preallocation mode,
                       std::string* error) {
  if (start >= end || end > static_cast<uint64_t>(INT64_MAX)) return true;
  if (mode == Preallocation::kFalloc) {
    const int rc = posix_fallocate(fd, static_cast<off_t>(start), static_cast<off_t>(end - start));
    if (rc != 0) {
      *error = std::string("Could not preallocate new data: ") + std::strerror(rc);
      return false;
    }
    return true;
  }
  if (mode != Preallocation::kFull) return true;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *error = std::string("Could not resize file: ") + std::strerror(errno);
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) < end && ftruncate(fd, static_cast<off_t>(end)) != 0) {
    *error = std::string("Could not resize file: ") + std::strerror(errno);
    return false;
  }
  // The holes of [start, end): what the guest left unwritten there.
  for (uint64_t at = start; at < end;) {
    const off_t hole = lseek(fd, static_cast<off_t>(at), SEEK_HOLE);
    if (hole < 0 || static_cast<uint64_t>(hole) >= end) break;
    off_t data = lseek(fd, hole, SEEK_DATA);
    const uint64_t hole_end =
        data < 0 || static_cast<uint64_t>(data) > end ? end : static_cast<uint64_t>(data);
    if (!write_zeros(fd, static_cast<uint64_t>(hole), hole_end, error)) return false;
    at = hole_end;
  }
  return sync_file(fd, error);
}

}  // namespace instar::cli
