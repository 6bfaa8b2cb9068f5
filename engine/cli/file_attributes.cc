// file_attributes.cc: nocow and the extent size hint of a new raw file, as file-posix sets them.
#include "engine/cli/file_attributes.h"

#include <linux/fs.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace instar::cli {

FileAttributes file_attributes(const CreationOptions& opts) {
  FileAttributes a;
  if (const CreationOptions::Option* o = opts.find("nocow")) a.nocow = o->flag;
  if (const CreationOptions::Option* o = opts.find("extent_size_hint")) {
    a.extent_size_hint = o->number;
  }
  return a;
}

std::optional<std::string> apply_file_attributes(int fd, const FileAttributes& attributes) {
  if (attributes.nocow) {
    // btrfs copy-on-write off; qemu ignores every failure (other filesystems have no such flag).
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
      flags |= FS_NOCOW_FL;
      (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
  }
  if (attributes.extent_size_hint == 0) return std::nullopt;
  fsxattr attr{};
  int rc = ioctl(fd, FS_IOC_FSGETXATTR, &attr);
  if (rc == 0) {
    attr.fsx_xflags |= FS_XFLAG_EXTSIZE;
    attr.fsx_extsize = static_cast<uint32_t>(attributes.extent_size_hint);
    rc = ioctl(fd, FS_IOC_FSSETXATTR, &attr);
  }
  if (rc < 0) return std::string("Failed to set extent size hint: ") + std::strerror(errno);
  return std::nullopt;
}

}  // namespace instar::cli
