// image_file.cc: open(2)/fstat(2) of images, mapping failures to qemu's file-driver texts.
#include "engine/cli/image_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "engine/chain/audit.h"

namespace instar::cli {

ImageFile::ImageFile(ImageFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), allocated_(other.allocated_) {}

ImageFile& ImageFile::operator=(ImageFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    allocated_ = other.allocated_;
  }
  return *this;
}

ImageFile::~ImageFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool ImageFile::open_read_only(const std::string& path, std::string* error) {
  return open_with(path, O_RDONLY, error);
}

bool ImageFile::open_read_write(const std::string& path, std::string* error) {
  return open_with(path, O_RDWR, error);
}

bool ImageFile::open_with(const std::string& path, int access, std::string* error) {
  // Every user-named image and data file goes through here (info, check, compare): the audit
  // sees them all, so the sentinel tests cover every command.
  chain::audit::Record("open", path);
  // O_NONBLOCK: opening a FIFO must not hang; the regular-file check below refuses it.
  const int fd = ::open(path.c_str(), access | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    *error = "Could not open '" + path + "': " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    *error = "Could not open '" + path + "': " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    // qemu's file-posix driver says this for directories, FIFOs and sockets alike.
    *error = "'file' driver requires '" + path + "' to be a regular file";
    ::close(fd);
    return false;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  size_ = static_cast<uint64_t>(st.st_size);
  allocated_ = static_cast<uint64_t>(st.st_blocks) * 512;
  return true;
}

bool SameFile(int a, int b) {
  struct stat sa {
  }, sb{};
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace instar::cli
