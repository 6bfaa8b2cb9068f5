// image_file.h: opening an image on the host, with qemu's error texts and host facts.
#pragma once

#include <cstdint>
#include <string>

namespace instar::cli {

// An image file opened read-only for the sandbox; owns the fd.
class ImageFile {
 public:
  ImageFile() = default;
  ImageFile(const ImageFile&) = delete;
  ImageFile& operator=(const ImageFile&) = delete;
  ImageFile(ImageFile&& other) noexcept;
  ImageFile& operator=(ImageFile&& other) noexcept;
  ~ImageFile();

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // st_blocks * 512: qemu's "disk size" / "actual-size".
  uint64_t allocated_bytes() const { return allocated_; }

  // Opens `path` for reading. On failure returns false and sets `error` to qemu's reason text
  // (without the "Could not open '<path>': " wrapper), e.g. "Could not open 'x': No such file or
  // directory" or "'file' driver requires 'x' to be a regular file".
  [[nodiscard]] bool open_read_only(const std::string& path, std::string* error);
  // The same for reading and writing (the image an in-place command changes).
  [[nodiscard]] bool open_read_write(const std::string& path, std::string* error);

 private:
  bool open_with(const std::string& path, int access, std::string* error);

  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t allocated_ = 0;
};

// Whether two open files are one: the file identity qemu's image locking compares (an image
// open for writing cannot also be opened as another image's backing or input file).
bool SameFile(int a, int b);

}  // namespace instar::cli
