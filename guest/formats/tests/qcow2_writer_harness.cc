// qcow2_writer_harness.cc: file sink, qemu-img runner and the convert write-sequence driver.
#include "guest/formats/tests/qcow2_writer_harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace instar::test {

FileBlockSink::FileBlockSink(const std::string& path, bool truncate) {
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | (truncate ? O_TRUNC : 0), 0644);
}
FileBlockSink::~FileBlockSink() {
  if (fd_ >= 0) close(fd_);
}
uint64_t FileBlockSink::size() const {
  struct stat st;
  return fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}
Status FileBlockSink::write_at(uint64_t offset, Bytes data) {
  uint64_t done = 0;
  while (done < data.size) {
    const ssize_t n =
        pwrite(fd_, data.data + done, data.size - done, static_cast<off_t>(offset + done));
    if (n <= 0) return Status(instar_guest_ErrorCode_ERROR_IO, offset, data.size);
    done += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}
Status FileBlockSink::read_at(uint64_t offset, MutableBytes out) {
  const ssize_t n = pread(fd_, out.data, out.size, static_cast<off_t>(offset));
  if (n != static_cast<ssize_t>(out.size)) {
    return Status(instar_guest_ErrorCode_ERROR_IO, offset, out.size);
  }
  return Status::Ok();
}

TempDir::TempDir() {
  char pattern[] = "/tmp/instar-qwriter-XXXXXX";
  if (mkdtemp(pattern) != nullptr) path_ = pattern;
}
TempDir::~TempDir() {
  if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
}

bool have_qemu_img() {
  return access(kQemuImg, X_OK) == 0;
}

int run_qemu_img(const std::string& dir, const std::string& args) {
  const std::string cmd = "cd '" + dir + "' && " + kQemuImg + " " + args + " >/dev/null 2>&1";
  return std::system(cmd.c_str());
}

bool open_qcow2(BlockSource& file, Arena& arena, qcow2::OpenScratch* scratch) {
  if (!qcow2::allocate_open_scratch(file, arena, scratch).ok()) return false;
  qcow2::OpenErrorDetail detail;
  return qcow2::open_image(file, arena, scratch->tables, scratch->metadata, &detail).ok();
}

bool have_qemu_tools() {
  return have_qemu_img() && access("/usr/bin/qemu-io", X_OK) == 0;
}

int run_in(const std::string& dir, const std::string& command) {
  return std::system(("cd '" + dir + "' && " + command + " >/dev/null 2>&1").c_str());
}

std::string file_sha256(const std::string& path) {
  FILE* p = popen(("sha256sum '" + path + "'").c_str(), "r");
  if (p == nullptr) return "";
  char buf[65] = {};
  const size_t n = fread(buf, 1, 64, p);
  pclose(p);
  return std::string(buf, n);
}

uint64_t file_length(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

int64_t first_difference(const std::string& a, const std::string& b) {
  FILE* fa = fopen(a.c_str(), "rb");
  FILE* fb = fopen(b.c_str(), "rb");
  int64_t result = -1;
  if (fa == nullptr || fb == nullptr) {
    result = 0;
  } else {
    std::vector<uint8_t> ba(1 << 16), bb(1 << 16);
    int64_t pos = 0;
    for (;;) {
      const size_t na = fread(ba.data(), 1, ba.size(), fa);
      const size_t nb = fread(bb.data(), 1, bb.size(), fb);
      const size_t n = std::min(na, nb);
      size_t i = 0;
      while (i < n && ba[i] == bb[i]) ++i;
      if (i < n || na != nb) {
        result = pos + static_cast<int64_t>(i);
        break;
      }
      if (na == 0) break;
      pos += static_cast<int64_t>(na);
    }
  }
  if (fa != nullptr) fclose(fa);
  if (fb != nullptr) fclose(fb);
  return result;
}

namespace {

constexpr int64_t kSector = 512;
constexpr int64_t kBufSectors = 4096;             // IO_BUF_SIZE / 512: 2 MiB
constexpr int64_t kMinSparse = 8;                 // -S 4k
constexpr int64_t kRequestMaxSectors = 0x3fffff;  // BDRV_REQUEST_MAX_SECTORS

bool sector_is_zero(const uint8_t* p, int64_t count) {
  for (int64_t i = 0; i < count * kSector; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// is_allocated_sectors()
bool is_allocated_sectors(const uint8_t* buf, int64_t n, int64_t* pnum, int64_t sector_num,
                          int64_t alignment) {
  if (n <= 0) {
    *pnum = 0;
    return false;
  }
  bool is_zero = sector_is_zero(buf, 1);
  int64_t i = 1;
  for (; i < n; ++i) {
    if (is_zero != sector_is_zero(buf + i * kSector, 1)) break;
  }
  if (i == n) {
    *pnum = i;
    return !is_zero;
  }
  const int64_t tail = (sector_num + i) & (alignment - 1);
  if (tail) {
    if (is_zero && i <= tail) is_zero = false;
    if (!is_zero) {
      i += alignment - tail;
      i = std::min(i, n);
    } else {
      i -= tail;
    }
  }
  *pnum = i;
  return !is_zero;
}

// is_allocated_sectors_min()
bool is_allocated_sectors_min(const uint8_t* buf, int64_t n, int64_t* pnum, int64_t min,
                              int64_t sector_num, int64_t alignment) {
  if (n < min) min = n;
  if (!is_allocated_sectors(buf, n, pnum, sector_num, alignment)) return false;
  int64_t num_used = *pnum;
  buf += kSector * *pnum;
  n -= *pnum;
  sector_num += *pnum;
  int64_t num_checked = num_used;
  while (n > 0) {
    const bool allocated = is_allocated_sectors(buf, n, pnum, sector_num, alignment);
    buf += kSector * *pnum;
    n -= *pnum;
    sector_num += *pnum;
    num_checked += *pnum;
    if (allocated) {
      num_used = num_checked;
    } else if (*pnum >= min) {
      break;
    }
  }
  *pnum = num_used;
  return true;
}

// file-posix raw_co_block_status(): data or hole extent at `offset`, at most `bytes` long.
bool source_is_data(int fd, int64_t offset, int64_t bytes, int64_t length, int64_t* pnum) {
  const off_t data = lseek(fd, offset, SEEK_DATA);
  if (data < 0) {  // ENXIO: trailing hole
    *pnum = bytes;
    return false;
  }
  if (data == offset) {
    off_t hole = lseek(fd, offset, SEEK_HOLE);
    if (hole < 0) hole = length;
    int64_t n = hole - offset;
    n = (n + kSector - 1) / kSector * kSector;
    *pnum = std::min(n, bytes);
    return true;
  }
  *pnum = std::min<int64_t>(data - offset, bytes);
  return false;
}

}  // namespace

Status drive_convert(const std::string& raw_path, ImageWriter& target, bool compressed) {
  const int fd = open(raw_path.c_str(), O_RDONLY);
  if (fd < 0) return Status(instar_guest_ErrorCode_ERROR_IO, 0, 0);
  const int64_t length = static_cast<int64_t>(file_length(raw_path));
  const int64_t total_sectors = (length + kSector - 1) / kSector;
  const int64_t cluster_sectors = target.cluster_size() / kSector;
  const int64_t buf_sectors = compressed ? cluster_sectors : kBufSectors;
  const int64_t alignment = kMinSparse;  // MAX(pow2floor(min_sparse), request alignment)
  std::vector<uint8_t> buf(static_cast<size_t>(buf_sectors * kSector));
  Status result = Status::Ok();

  int64_t sector_num = 0;
  int64_t next_status = 0;
  bool status_data = false;
  while (sector_num < total_sectors && result.ok()) {
    // convert_iteration_sectors()
    int64_t n = std::min(total_sectors - sector_num, kRequestMaxSectors);
    if (next_status <= sector_num) {
      int64_t count;
      status_data = source_is_data(fd, sector_num * kSector, n * kSector, length, &count);
      n = (count + kSector - 1) / kSector;
      next_status = sector_num + n;
    }
    n = std::min(n, next_status - sector_num);
    bool data = status_data;
    if (data) n = std::min(n, buf_sectors);
    if (compressed) {
      if (n < cluster_sectors) {
        n = std::min(cluster_sectors, total_sectors - sector_num);
        data = true;
      } else {
        n = n / cluster_sectors * cluster_sectors;
      }
    }
    if (data) {
      std::fill(buf.begin(), buf.end(), 0);
      const ssize_t r =
          pread(fd, buf.data(), static_cast<size_t>(n * kSector), sector_num * kSector);
      if (r < 0) {
        result = Status(instar_guest_ErrorCode_ERROR_IO, 0, 0);
        break;
      }
      // convert_co_write(): zero runs are left out, the target reads as zeros already.
      int64_t s = sector_num;
      int64_t left = n;
      const uint8_t* p = buf.data();
      while (left > 0 && result.ok()) {
        int64_t m = left;
        bool write;
        if (compressed) {
          write = !sector_is_zero(p, m);
        } else {
          write = is_allocated_sectors_min(p, m, &m, kMinSparse, s, alignment);
        }
        if (write) {
          const Bytes bytes(p, static_cast<uint64_t>(m * kSector));
          result = compressed ? target.write_compressed(static_cast<uint64_t>(s * kSector), bytes)
                              : target.write(static_cast<uint64_t>(s * kSector), bytes);
        }
        s += m;
        left -= m;
        p += m * kSector;
      }
    }
    sector_num += n;
  }
  close(fd);
  if (result.ok() && compressed) result = target.write_compressed(0, Bytes());
  if (result.ok()) result = target.finish();
  return result;
}

}  // namespace instar::test
