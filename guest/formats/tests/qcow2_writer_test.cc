// qcow2_writer_test.cc: the qcow2 writer's files against qemu-img 7.2's, byte for byte: create
// over a grid of options, and convert write sequences (plain, -c zlib/zstd) over raw inputs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/writer.h"
#include "guest/formats/tests/qcow2_writer_harness.h"
#include "guest/lib/arena.h"

namespace instar::test {
namespace {

using qcow2::Qcow2CreateOptions;
using qcow2::Qcow2Writer;

// One set of create options, spelled both for qemu-img -o and for the writer.
struct Options {
  uint32_t cluster_size = 65536;
  bool v3 = true;
  uint32_t refcount_bits = 16;
  bool lazy = false;
  bool extended_l2 = false;
  bool zstd = false;
  std::string backing_file;
  std::string backing_fmt;
  std::string data_file;

  std::string qemu_args() const {
    std::string o = "cluster_size=" + std::to_string(cluster_size) +
                    ",compat=" + (v3 ? "1.1" : "0.10") +
                    ",refcount_bits=" + std::to_string(refcount_bits);
    if (lazy) o += ",lazy_refcounts=on";
    if (extended_l2) o += ",extended_l2=on";
    if (zstd) o += ",compression_type=zstd";
    if (!data_file.empty()) o += ",data_file=" + data_file;
    std::string args = "-o " + o;
    if (!backing_file.empty()) args += " -u -b " + backing_file;
    if (!backing_fmt.empty()) args += " -F " + backing_fmt;
    return args;
  }
  Qcow2CreateOptions writer(uint64_t size) const {
    Qcow2CreateOptions o;
    o.size = size;
    o.cluster_size = cluster_size;
    o.compat_v3 = v3;
    o.refcount_bits = refcount_bits;
    o.lazy_refcounts = lazy;
    o.extended_l2 = extended_l2;
    o.compression_type = zstd ? qcow2::kCompressionZstd : qcow2::kCompressionZlib;
    if (!backing_file.empty()) {
      o.has_backing_file = true;
      o.backing_file =
          Bytes(reinterpret_cast<const uint8_t*>(backing_file.data()), backing_file.size());
    }
    if (!backing_fmt.empty()) {
      o.has_backing_fmt = true;
      o.backing_fmt =
          Bytes(reinterpret_cast<const uint8_t*>(backing_fmt.data()), backing_fmt.size());
    }
    if (!data_file.empty()) {
      o.has_data_file = true;
      o.data_file = Bytes(reinterpret_cast<const uint8_t*>(data_file.data()), data_file.size());
    }
    return o;
  }
  std::string name() const { return qemu_args(); }
};

class Qcow2WriterTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!have_qemu_img()) GTEST_SKIP() << "qemu-img not installed";
    ASSERT_FALSE(dir_.path().empty());
    arena_memory_.resize(96u << 20);
  }

  Arena arena() { return Arena(arena_memory_.data(), arena_memory_.size()); }

  // `qemu-img create` and the writer's create; both fail or both produce the same bytes.
  void expect_same_create(const Options& o, uint64_t size) {
    SCOPED_TRACE(o.name() + " size=" + std::to_string(size));
    const std::string ref = dir_.file("ref.qcow2");
    const std::string mine = dir_.file("mine.qcow2");
    unlink(ref.c_str());
    const int rc = run_qemu_img(
        dir_.path(), "create -q -f qcow2 " + o.qemu_args() + " ref.qcow2 " + std::to_string(size));
    Arena a = arena();
    FileBlockSink sink(mine);
    ASSERT_TRUE(sink.ok());
    Qcow2Writer writer(sink, &sink, a);
    Status s = writer.create(o.writer(size), Qcow2Writer::CacheSlots{4, 4});
    if (s.ok()) s = writer.finish();
    ASSERT_EQ(rc == 0, s.ok()) << "qemu-img rc " << rc << ", writer error " << s.code();
    if (rc != 0) return;
    EXPECT_EQ(file_length(ref), file_length(mine));
    EXPECT_EQ(first_difference(ref, mine), -1);
  }

  // `qemu-img convert -f raw -O qcow2` of `raw` and the same writes through the writer.
  // Without `readback` the writer must manage with its default caches, as over the guest's
  // write-only sink.
  void expect_same_convert(const Options& o, const std::string& raw, bool compressed,
                           bool readback = false) {
    SCOPED_TRACE(o.name() + (compressed ? " -c" : ""));
    const std::string ref = dir_.file("ref.qcow2");
    const std::string mine = dir_.file("mine.qcow2");
    unlink(ref.c_str());
    ASSERT_EQ(run_qemu_img(dir_.path(), std::string("convert -f raw -O qcow2 ") +
                                            (compressed ? "-c " : "") + o.qemu_args() + " " + raw +
                                            " ref.qcow2"),
              0);
    Arena a = arena();
    FileBlockSink sink(mine);
    ASSERT_TRUE(sink.ok());
    Qcow2Writer writer(sink, readback ? &sink : nullptr, a);
    const uint64_t size = (file_length(raw) + 511) / 512 * 512;
    ASSERT_TRUE(writer.create(o.writer(size)).ok());
    const Status s = drive_convert(raw, writer, compressed);
    ASSERT_TRUE(s.ok()) << "error " << s.code();
    EXPECT_EQ(file_length(ref), file_length(mine));
    EXPECT_EQ(file_sha256(ref), file_sha256(mine));
    if (file_length(ref) < (64u << 20)) {
      EXPECT_EQ(first_difference(ref, mine), -1);
    }
  }

  // A raw file of `size` bytes: holes everywhere except the given extents.
  struct Extent {
    uint64_t offset;
    uint64_t length;
    enum Kind { kRandom, kText, kZeros, kSparseZeros } kind;
  };
  std::string make_raw(const std::string& name, uint64_t size, const std::vector<Extent>& extents) {
    const std::string path = dir_.file(name);
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (const Extent& e : extents) {
      std::vector<uint8_t> buf(e.length);
      for (uint64_t i = 0; i < e.length; ++i) {
        switch (e.kind) {
          case Extent::kRandom:
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = static_cast<uint8_t>(seed >> 56);
            break;
          case Extent::kText:
            buf[i] = static_cast<uint8_t>("instar qcow2 writer "[(i / 7 + i % 13) % 20]);
            break;
          case Extent::kZeros:
            buf[i] = 0;
            break;
          case Extent::kSparseZeros:
            // Data with zero runs of 1k, 3.5k and 8k inside: -S 4k keeps some, skips others.
            buf[i] = (i % 16384) < 1024 || ((i % 16384) >= 4096 && (i % 16384) < 7680) ||
                             ((i % 65536) >= 32768 && (i % 65536) < 40960)
                         ? 0
                         : static_cast<uint8_t>(i * 31 + 7);
            break;
        }
      }
      EXPECT_EQ(pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(e.offset)),
                static_cast<ssize_t>(buf.size()));
    }
    close(fd);
    return path;
  }

  // The mixed input most convert cases use: data, text, written zeros, holes, an unaligned end.
  std::string mixed_raw(uint64_t size) {
    return make_raw("in.raw", size,
                    {{0, 300000, Extent::kRandom},
                     {1u << 20, 2u << 20, Extent::kSparseZeros},
                     {(4u << 20) + 4096, 70000, Extent::kText},
                     {6u << 20, 1u << 20, Extent::kZeros},
                     {size - 5000, 5000, Extent::kRandom}});
  }

  TempDir dir_;
  std::vector<uint8_t> arena_memory_;
};

// --- create -------------------------------------------------------------------------------------

TEST_F(Qcow2WriterTest, CreateSizesAndClusterSizes) {
  const uint64_t sizes[] = {0, 1000, 16u << 20, 1ull << 30, 100ull << 30, 10ull << 40};
  for (uint32_t cs : {512u, 4096u, 65536u, 2u << 20}) {
    for (uint64_t size : sizes) {
      if (cs == 512 && size == (100ull << 30)) continue;  // qemu-img itself takes 17 s
      Options o;
      o.cluster_size = cs;
      expect_same_create(o, size);
    }
  }
}

TEST_F(Qcow2WriterTest, CreateRefcountWidths) {
  for (uint32_t bits : {1u, 2u, 4u, 8u, 16u, 32u, 64u}) {
    for (uint32_t cs : {512u, 65536u}) {
      for (uint64_t size : {uint64_t{16} << 20, uint64_t{1} << 30, uint64_t{100} << 30}) {
        // 100G at 512-byte clusters: qemu-img needs up to 3 minutes (64-bit refcounts).
        if (cs == 512 && size == (uint64_t{100} << 30)) continue;
        Options o;
        o.cluster_size = cs;
        o.refcount_bits = bits;
        expect_same_create(o, size);
      }
    }
  }
}

TEST_F(Qcow2WriterTest, CreateFeatures) {
  for (uint64_t size : {uint64_t{0}, uint64_t{16} << 20, uint64_t{10} << 40}) {
    Options v2;
    v2.v3 = false;
    expect_same_create(v2, size);
    Options lazy;
    lazy.lazy = true;
    expect_same_create(lazy, size);
    Options ext;
    ext.extended_l2 = true;
    expect_same_create(ext, size);
    Options zstd;
    zstd.zstd = true;
    expect_same_create(zstd, size);
  }
  Options small_ext;
  small_ext.extended_l2 = true;
  small_ext.cluster_size = 16384;
  expect_same_create(small_ext, 1ull << 30);
}

TEST_F(Qcow2WriterTest, CreateBackingFile) {
  for (bool v3 : {true, false}) {
    for (uint32_t cs : {512u, 65536u}) {
      Options o;
      o.v3 = v3;
      o.cluster_size = cs;
      o.backing_file = "base.qcow2";
      o.backing_fmt = "qcow2";
      expect_same_create(o, 16u << 20);
      o.backing_fmt = "raw";
      o.backing_file = "a/rather/long/path/to/the/backing/file/of/this/image.raw";
      expect_same_create(o, 1u << 30);
    }
  }
}

// The qcow2 file of an image with an external data file (qemu-img also creates the data file,
// which is not the writer's).
TEST_F(Qcow2WriterTest, CreateDataFile) {
  for (uint32_t cs : {4096u, 65536u}) {
    Options o;
    o.cluster_size = cs;
    o.data_file = "data.raw";
    expect_same_create(o, 16u << 20);
    expect_same_create(o, 1ull << 30);
  }
}

// preallocation=falloc: the writer lays out the metadata and reports the data area, which the
// host preallocates; grown to that area's end (what posix_fallocate() leaves), the file is
// qemu's byte for byte, and the area is the run of data clusters the L2 tables map.
TEST_F(Qcow2WriterTest, CreatePreallocatedDataArea) {
  struct Case {
    uint32_t cluster_size;
    uint32_t refcount_bits;
    uint64_t size;
  };
  for (const Case c : {Case{65536, 16, 0}, Case{65536, 16, 5u << 20}, Case{512, 16, 3u << 20},
                       Case{4096, 64, 9u << 20}, Case{2u << 20, 1, 1000}}) {
    Options o;
    o.cluster_size = c.cluster_size;
    o.refcount_bits = c.refcount_bits;
    SCOPED_TRACE(o.name() + " size=" + std::to_string(c.size));
    const std::string ref = dir_.file("ref.qcow2");
    const std::string mine = dir_.file("mine.qcow2");
    unlink(ref.c_str());
    unlink(mine.c_str());
    ASSERT_EQ(
        run_qemu_img(dir_.path(), "create -q -f qcow2 " + o.qemu_args() +
                                      ",preallocation=falloc ref.qcow2 " + std::to_string(c.size)),
        0);
    Arena a = arena();
    FileBlockSink sink(mine);
    ASSERT_TRUE(sink.ok());
    Qcow2Writer writer(sink, &sink, a);
    Qcow2CreateOptions w = o.writer(c.size);
    w.preallocation = qcow2::Preallocation::kFalloc;
    ASSERT_TRUE(writer.create(w).ok());
    const FileRange area = writer.preallocated_area();
    ASSERT_TRUE(writer.finish().ok());
    const uint64_t clusters = (c.size + c.cluster_size - 1) / c.cluster_size;
    EXPECT_EQ(area.end - area.start, clusters * c.cluster_size);
    if (file_length(mine) < area.end) {
      ASSERT_EQ(truncate(mine.c_str(), static_cast<off_t>(area.end)), 0);
    }
    EXPECT_EQ(file_length(ref), file_length(mine));
    EXPECT_EQ(first_difference(ref, mine), -1);
  }
}

TEST_F(Qcow2WriterTest, CreateRefusesWhatQemuRefuses) {
  Options v2_lazy;
  v2_lazy.v3 = false;
  v2_lazy.lazy = true;
  expect_same_create(v2_lazy, 16u << 20);
  Options v2_bits;
  v2_bits.v3 = false;
  v2_bits.refcount_bits = 8;
  expect_same_create(v2_bits, 16u << 20);
  Options odd_cluster;
  odd_cluster.cluster_size = 3000;
  expect_same_create(odd_cluster, 16u << 20);
  Options small_ext;
  small_ext.extended_l2 = true;
  small_ext.cluster_size = 8192;
  expect_same_create(small_ext, 16u << 20);
}

// --- convert ------------------------------------------------------------------------------------

TEST_F(Qcow2WriterTest, ConvertDefault) {
  expect_same_convert(Options{}, mixed_raw((8u << 20) + 3000), false);
}

TEST_F(Qcow2WriterTest, ConvertSmallClusters) {
  const std::string raw = mixed_raw((8u << 20) + 3000);
  for (uint32_t cs : {512u, 4096u}) {
    Options o;
    o.cluster_size = cs;
    expect_same_convert(o, raw, false);
  }
}

TEST_F(Qcow2WriterTest, ConvertRefcountWidths) {
  const std::string raw = mixed_raw((8u << 20) + 3000);
  for (uint32_t bits : {1u, 4u, 64u}) {
    for (uint32_t cs : {512u, 65536u}) {
      Options o;
      o.refcount_bits = bits;
      o.cluster_size = cs;
      // 512-byte clusters with 64-bit refcounts: a refcount block covers 32 KiB, and after the
      // table grows qemu rescans from cluster 1, beyond what 16 cached blocks hold.
      expect_same_convert(o, raw, false, /*readback=*/true);
    }
  }
}

TEST_F(Qcow2WriterTest, ConvertV2LazyExtendedL2) {
  const std::string raw = mixed_raw((8u << 20) + 3000);
  Options v2;
  v2.v3 = false;
  expect_same_convert(v2, raw, false);
  Options lazy;
  lazy.lazy = true;
  expect_same_convert(lazy, raw, false);
  Options ext;
  ext.extended_l2 = true;
  expect_same_convert(ext, raw, false);
}

// A 3 GiB sparse input with data below and above 2 GiB: several L2 tables far apart.
TEST_F(Qcow2WriterTest, ConvertSparseOver2GiB) {
  const uint64_t size = 3ull << 30;
  const std::string raw = make_raw("big.raw", size,
                                   {{0, 1u << 20, Extent::kRandom},
                                    {(2ull << 30) - 4096, 3u << 20, Extent::kSparseZeros},
                                    {(2ull << 30) + (700u << 20), 65536 + 512, Extent::kText},
                                    {size - 4096, 4096, Extent::kRandom}});
  expect_same_convert(Options{}, raw, false);
  Options small;
  small.cluster_size = 4096;
  small.refcount_bits = 64;
  expect_same_convert(small, raw, false);
}

TEST_F(Qcow2WriterTest, ConvertCompressedZlib) {
  const std::string raw = mixed_raw((8u << 20) + 3000);
  for (uint32_t cs : {4096u, 65536u}) {
    Options o;
    o.cluster_size = cs;
    expect_same_convert(o, raw, true);
  }
  Options one_bit;
  one_bit.refcount_bits = 1;
  expect_same_convert(one_bit, raw, true);
  Options tiny;
  tiny.cluster_size = 512;
  expect_same_convert(tiny, raw, true, /*readback=*/true);
  Options v2;
  v2.v3 = false;
  expect_same_convert(v2, raw, true);
  Options ext;
  ext.extended_l2 = true;
  expect_same_convert(ext, raw, true);
}

TEST_F(Qcow2WriterTest, ConvertLargeClusters) {
  const std::string raw = mixed_raw((8u << 20) + 3000);
  Options o;
  o.cluster_size = 2u << 20;
  expect_same_convert(o, raw, false);
  expect_same_convert(o, raw, true);
  o.extended_l2 = true;
  expect_same_convert(o, raw, false);
}

TEST_F(Qcow2WriterTest, ConvertCompressedZstd) {
  const std::string raw = mixed_raw((8u << 20) + 3000);
  for (uint32_t cs : {4096u, 65536u}) {
    Options o;
    o.cluster_size = cs;
    o.zstd = true;
    expect_same_convert(o, raw, true);
  }
}

// --- write_zeroes -------------------------------------------------------------------------------

// qemu-io's `write -P` / `write -z [-u]` on a created image against the same calls on the writer:
// zero flags (v3), subcluster zero bits (extended L2), discards (v2), unmapping and the reuse of
// the freed cluster, an unaligned request.
TEST_F(Qcow2WriterTest, WriteZeroes) {
  if (access("/usr/bin/qemu-io", X_OK) != 0) GTEST_SKIP() << "qemu-io not installed";
  struct Op {
    uint64_t offset, bytes;
    int kind;  // 0 data, 1 zeroes, 2 zeroes with unmap
  };
  const std::vector<Op> ops = {{0, 65536, 0},      {131072, 196608, 1}, {0, 65536, 2},
                               {1048576, 4096, 1}, {2097152, 8192, 0},  {2101248, 4096, 2},
                               {4194304, 65536, 0}};
  std::string script;
  for (const Op& op : ops) {
    script += std::string(" -c 'write ") +
              (op.kind == 0   ? "-P 0x5a"
               : op.kind == 1 ? "-z"
                              : "-z -u") +
              " " + std::to_string(op.offset) + " " + std::to_string(op.bytes) + "'";
  }
  Options v3;
  Options v2;
  v2.v3 = false;
  Options ext;
  ext.extended_l2 = true;
  for (const Options& o : {v3, v2, ext}) {
    SCOPED_TRACE(o.name());
    const std::string ref = dir_.file("ref.qcow2");
    const std::string mine = dir_.file("mine.qcow2");
    unlink(ref.c_str());
    ASSERT_EQ(run_qemu_img(dir_.path(), "create -q -f qcow2 " + o.qemu_args() + " ref.qcow2 16M"),
              0);
    ASSERT_EQ(std::system(("cd '" + dir_.path() + "' && /usr/bin/qemu-io -f qcow2" + script +
                           " ref.qcow2 >/dev/null 2>&1")
                              .c_str()),
              0);
    Arena a = arena();
    FileBlockSink sink(mine);
    Qcow2Writer writer(sink, &sink, a);
    ASSERT_TRUE(writer.create(o.writer(16u << 20)).ok());
    std::vector<uint8_t> pattern(65536, 0x5a);
    for (const Op& op : ops) {
      const Status s = op.kind == 0 ? writer.write(op.offset, Bytes(pattern.data(), op.bytes))
                                    : writer.write_zeroes(op.offset, op.bytes, op.kind == 2);
      ASSERT_TRUE(s.ok()) << s.code();
    }
    ASSERT_TRUE(writer.finish().ok());
    EXPECT_EQ(file_length(ref), file_length(mine));
    EXPECT_EQ(first_difference(ref, mine), -1);
  }
}

}  // namespace
}  // namespace instar::test
