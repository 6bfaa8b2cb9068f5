// compare_extents.cc: builds the data-extent map of a file with lseek into a sealed memfd.
#include "engine/cli/compare_extents.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "guest/abi/abi.h"

namespace instar::cli {

namespace {

void put_be64(std::vector<uint8_t>* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// The extents as find_allocation() in qemu's file-posix.c would walk them.
std::vector<uint8_t> data_extents(int fd, uint64_t size) {
  std::vector<uint8_t> whole;
  if (size != 0) {
    put_be64(&whole, 0);
    put_be64(&whole, size);
  }
  std::vector<uint8_t> out;
  uint64_t at = 0;
  uint64_t count = 0;
  while (at < size) {
    const off_t data = lseek(fd, static_cast<off_t>(at), SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole up to the end
      return whole;
    }
    const off_t hole = lseek(fd, data, SEEK_HOLE);
    if (hole < 0 || hole <= data || ++count > kMaxExtents) return whole;
    const uint64_t end = static_cast<uint64_t>(hole) < size ? static_cast<uint64_t>(hole) : size;
    put_be64(&out, static_cast<uint64_t>(data));
    put_be64(&out, end);
    at = end;
  }
  return out;
}

}  // namespace

sandbox::UniqueFd make_extent_map(int fd, uint64_t size) {
  const std::vector<uint8_t> map = data_extents(fd, size);
  sandbox::UniqueFd memfd(memfd_create("instar-extents", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (memfd.get() < 0) return sandbox::UniqueFd();
  size_t done = 0;
  while (done < map.size()) {
    const ssize_t n = write(memfd.get(), map.data() + done, map.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sandbox::UniqueFd();
    done += static_cast<size_t>(n);
  }
  // The guest reads it as a device of fixed capacity: nothing may change it afterwards.
  if (fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) !=
      0) {
    return sandbox::UniqueFd();
  }
  return memfd;
}

uint64_t allocated_file_size(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return abi::kAllocationUnknown;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

}  // namespace instar::cli
