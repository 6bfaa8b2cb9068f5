// raw_truncate.cc: sizing a new image file as file-posix's handle_aiocb_truncate() does.
#include "engine/cli/raw_truncate.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace instar::cli {

std::optional<Preallocation> parse_preallocation(const std::string& text) {
  if (text == "off") return Preallocation::kOff;
  if (text == "metadata") return Preallocation::kMetadata;
  if (text == "falloc") return Preallocation::kFalloc;
  if (text == "full") return Preallocation::kFull;
  return std::nullopt;
}

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
  }
  if (mode == Preallocation::kFull) {
    static constexpr uint8_t kZeros[65536] = {};
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
      *error = std::string("Could not resize file: ") + std::strerror(errno);
      return false;
    }
    for (uint64_t at = current_length; at < size;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof kZeros, size - at));
      const ssize_t w = pwrite(fd, kZeros, n, static_cast<off_t>(at));
      if (w <= 0) {
        *error = std::string("Could not write zeros for preallocation: ") +
                 std::strerror(w < 0 ? errno : EIO);
        return false;
      }
      at += static_cast<uint64_t>(w);
    }
    if (fsync(fd) != 0) {
      *error = std::string("Could not flush file to disk: ") + std::strerror(errno);
      return false;
    }
  }
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    *error = std::string("Could not resize file: ") + std::strerror(errno);
    return false;
  }
  if (mode == Preallocation::kOff && current_length == 0 && size > 0) {
    static constexpr uint8_t kZeros[4096] = {};
    const size_t first = size < sizeof kZeros ? 512 : sizeof kZeros;
    (void)!pwrite(fd, kZeros, first, 0);
  }
  return true;
}

}  // namespace instar::cli
