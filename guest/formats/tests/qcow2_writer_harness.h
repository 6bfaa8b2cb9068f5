// qcow2_writer_harness.h: what the qcow2 writer tests share: a file sink, the real qemu-img, a
// test-only driver that issues the writes qemu-img convert issues, and file digests.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "guest/formats/qcow2/qcow2_driver.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/image_writer.h"

namespace instar::test {

// A BlockSink over a file (pwrite), readable back (pread): images over 2 GiB stay sparse.
class FileBlockSink final : public BlockSink, public BlockSource {
 public:
  // `truncate`: the file starts empty (a new image); else an existing image is opened as it is.
  explicit FileBlockSink(const std::string& path, bool truncate = true);
  ~FileBlockSink();
  uint64_t size() const override;
  Status write_at(uint64_t offset, Bytes data) override;
  Status flush() override { return Status::Ok(); }
  Status read_at(uint64_t offset, MutableBytes out) override;
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A sink that fails every write after the first `budget` (an interruption at that point: what
// was written stays, nothing after it lands): the fault-injection sweeps of in-place ops.
class InterruptedSink final : public BlockSink {
 public:
  InterruptedSink(BlockSink& inner, uint64_t budget) : inner_(inner), budget_(budget) {}
  uint64_t size() const override { return inner_.size(); }
  Status write_at(uint64_t offset, Bytes data) override {
    if (writes_ >= budget_) return Status(instar_guest_ErrorCode_ERROR_IO, offset);
    ++writes_;
    return inner_.write_at(offset, data);
  }
  Status flush() override { return inner_.flush(); }
  uint64_t writes() const { return writes_; }

 private:
  BlockSink& inner_;
  uint64_t budget_;
  uint64_t writes_ = 0;
};

// A scratch directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

constexpr const char* kQemuImg = "/usr/bin/qemu-img";
bool have_qemu_img();
// Runs `qemu-img <args>` in `dir`; returns its exit status.
int run_qemu_img(const std::string& dir, const std::string& args);
// qcow2_open() of an image file for an in-place test, into `scratch` (from `arena`).
bool open_qcow2(BlockSource& file, Arena& arena, qcow2::OpenScratch* scratch);
// qemu-img and qemu-io are both installed (the in-place tests make their images with qemu-io).
bool have_qemu_tools();
// Runs the shell `command` in `dir`, output discarded; returns its exit status.
int run_in(const std::string& dir, const std::string& command);

// sha256 of a whole file (sha256sum), and its length.
std::string file_sha256(const std::string& path);
uint64_t file_length(const std::string& path);
// The first offset where two files differ, or -1 when they are identical (lengths included).
int64_t first_difference(const std::string& a, const std::string& b);

// The writes qemu-img 7.2 convert issues for `-f raw <raw_path> -O <fmt> [-c]` on a fresh
// target without -W and with the default -S 4k (qemu-img.c convert_iteration_sectors() and
// convert_co_write(); source block status as file-posix reads it with SEEK_DATA/SEEK_HOLE),
// then its compressed end-of-file signal. Only the write path a freshly created target with zero
// init takes.
Status drive_convert(const std::string& raw_path, ImageWriter& target, bool compressed);

}  // namespace instar::test
