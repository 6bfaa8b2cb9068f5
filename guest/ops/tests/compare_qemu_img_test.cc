// compare_qemu_img_test.cc: the compare op over images the real qemu-img 7.2 makes, in memory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "guest/ops/tests/info_runner.h"

namespace instar::test {
namespace {

constexpr const char* kQemuImg = "/usr/bin/qemu-img";
constexpr const char* kQemuIo = "/usr/bin/qemu-io";

struct Result {
  instar_guest_CompareKind kind = instar_guest_CompareKind_COMPARE_KIND_UNSPECIFIED;
  uint64_t offset = 0;
  uint32_t image = 0;
  bool size_mismatch = false;
  int error = 0;  // ErrorCode of the Error before the result, if any
};

class CompareQemuImgTest : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kQemuImg, X_OK) != 0 || access(kQemuIo, X_OK) != 0) {
      GTEST_SKIP() << "qemu-img/qemu-io not installed";
    }
    char pattern[] = "/tmp/instar-compare-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    // 4 MiB: 1 MiB zeros, 1 MiB 'A', 1 MiB pseudo-random, 1 MiB zeros (the probe's mixed.raw).
    sh("python3 -c \"import random; r=random.Random(7); "
       "open('mixed.raw','wb').write(bytes(1<<20)+b'A'*(1<<20)+"
       "bytes(r.getrandbits(8) for _ in range(1<<20))+bytes(1<<20))\"");
  }
  void TearDown() override {
    if (!dir_.empty()) std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  void sh(const std::string& cmd) {
    const std::string full = "cd '" + dir_ + "' && " + cmd + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(full.c_str()), 0) << cmd;
  }
  void poke(const std::string& file, uint64_t offset, char byte) {
    sh(std::string("printf ") + byte + " | dd of=" + file + " bs=1 seek=" + std::to_string(offset) +
       " conv=notrunc");
  }

  Result compare(const std::string& a, const std::string& b, bool strict = false,
                 abi::ImageFormat fa = abi::ImageFormat::kProbe,
                 abi::ImageFormat fb = abi::ImageFormat::kProbe) {
    abi::OpConfig op{};
    op.op = static_cast<uint32_t>(abi::Op::kCompare);
    op.flags = strict ? abi::kOpFlagStrict : 0u;
    op.input_device[0] = 0;
    op.input_device[1] = 1;
    op.input_format[0] = static_cast<uint32_t>(fa);
    op.input_format[1] = static_cast<uint32_t>(fb);
    const auto m = run_op_on(op, {read_file(dir_ + "/" + a), read_file(dir_ + "/" + b)});
    Result r;
    size_t i = 0;
    if (!m.empty() && m[0].which_body == instar_guest_GuestMessage_error_tag) {
      r.error = m[i++].body.error.code;
    }
    EXPECT_EQ(m.size(), i + 2);
    if (m.size() != i + 2) return r;
    EXPECT_EQ(m[i].which_body, instar_guest_GuestMessage_compare_result_tag);
    EXPECT_EQ(m[i + 1].which_body, instar_guest_GuestMessage_done_tag);
    const auto& c = m[i].body.compare_result;
    r.kind = c.kind;
    r.offset = c.offset;
    r.image = c.image;
    r.size_mismatch = c.size_mismatch;
    return r;
  }

  void expect_identical(const std::string& a, const std::string& b) {
    const Result r = compare(a, b);
    EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_IDENTICAL) << a << " vs " << b;
    EXPECT_FALSE(r.size_mismatch);
  }
  void expect_mismatch(const std::string& a, const std::string& b, uint64_t offset) {
    const Result r = compare(a, b);
    EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_CONTENT_MISMATCH) << a << " vs " << b;
    EXPECT_EQ(r.offset, offset) << a << " vs " << b;
  }

  std::string dir_;
};

TEST_F(CompareQemuImgTest, SameDataInEveryQcow2Layout) {
  sh(std::string(kQemuImg) + " convert -O qcow2 mixed.raw plain.qcow2");
  sh(std::string(kQemuImg) + " convert -c -O qcow2 mixed.raw zlib.qcow2");
  sh(std::string(kQemuImg) + " convert -c -O qcow2 -o compression_type=zstd mixed.raw zstd.qcow2");
  sh(std::string(kQemuImg) + " convert -O qcow2 -o extended_l2=on mixed.raw ext.qcow2");
  sh(std::string(kQemuImg) + " convert -O qcow2 -o compat=0.10,cluster_size=4k mixed.raw v2.qcow2");
  for (const char* image : {"plain.qcow2", "zlib.qcow2", "zstd.qcow2", "ext.qcow2", "v2.qcow2"}) {
    expect_identical("mixed.raw", image);
    expect_identical(image, "mixed.raw");
  }
  expect_identical("zlib.qcow2", "zstd.qcow2");
  // A differing byte anywhere is reported at its sector, whatever the layout.
  for (const uint64_t at : {100ull, 1048576ull + 1023, 3ull * 1048576 + 12345, 4194303ull}) {
    sh("cp mixed.raw m2.raw");
    poke("m2.raw", at, 'X');
    for (const char* image :
         {"mixed.raw", "plain.qcow2", "zlib.qcow2", "zstd.qcow2", "ext.qcow2"}) {
      expect_mismatch(image, "m2.raw", at / 512 * 512);
    }
  }
}

TEST_F(CompareQemuImgTest, ZeroClustersAndSubclusters) {
  sh(std::string(kQemuImg) + " create -q -f qcow2 z.qcow2 4M");
  sh(std::string(kQemuIo) +
     " -c 'write -P 1 0 1M' -c 'write -z 64k 64k' -c 'write -z 2M 64k' z.qcow2");
  sh(std::string(kQemuImg) + " create -q -f qcow2 -o extended_l2=on e.qcow2 4M");
  sh(std::string(kQemuIo) + " -c 'write -P 1 0 1M' -c 'write -z 64k 64k' -c 'write -z 2M 8k' " +
     "-c 'write -P 2 3M 6k' e.qcow2");
  sh(std::string(kQemuImg) + " convert -O raw z.qcow2 z.raw");
  sh(std::string(kQemuImg) + " convert -O raw e.qcow2 e.raw");
  expect_identical("z.qcow2", "z.raw");
  expect_identical("e.qcow2", "e.raw");
  expect_mismatch("e.qcow2", "z.qcow2", 3u << 20);
  // Strict: a zero cluster and an unallocated one differ in block status, not in content.
  EXPECT_EQ(compare("z.qcow2", "z.qcow2", true).kind, instar_guest_CompareKind_COMPARE_IDENTICAL);
  const Result r = compare("z.qcow2", "e.qcow2", true);
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_STRICT_STATUS_MISMATCH);
}

TEST_F(CompareQemuImgTest, SizeMismatchAndZeroTail) {
  sh("cp mixed.raw big.raw && truncate -s 8M big.raw");
  Result r = compare("mixed.raw", "big.raw");
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_IDENTICAL);
  EXPECT_TRUE(r.size_mismatch);
  r = compare("mixed.raw", "big.raw", true);
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_STRICT_SIZE_MISMATCH);
  EXPECT_FALSE(r.size_mismatch);
  poke("big.raw", 6 * 1048576 + 777, 'Y');
  sh(std::string(kQemuImg) + " convert -O qcow2 big.raw big.qcow2");
  for (const auto& [a, b] :
       {std::pair{"mixed.raw", "big.raw"}, std::pair{"big.qcow2", "mixed.raw"}}) {
    r = compare(a, b);
    EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_CONTENT_MISMATCH);
    EXPECT_EQ(r.offset, 6u * 1048576 + 512);
    EXPECT_TRUE(r.size_mismatch);
  }
}

TEST_F(CompareQemuImgTest, ForcedRawComparesTheContainerBytes) {
  sh(std::string(kQemuImg) + " convert -O qcow2 mixed.raw plain.qcow2");
  const Result r =
      compare("mixed.raw", "plain.qcow2", false, abi::ImageFormat::kRaw, abi::ImageFormat::kRaw);
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_CONTENT_MISMATCH);
  EXPECT_EQ(r.offset, 0u);
}

TEST_F(CompareQemuImgTest, CorruptL2IsABlockStatusFailure) {
  sh(std::string(kQemuImg) + " create -q -f qcow2 b.qcow2 4M");
  sh(std::string(kQemuIo) + " -c 'write -P 1 0 1M' b.qcow2");
  sh("cp b.qcow2 bad.qcow2");
  // L2 table at 0x40000 (fresh layout); entry 0 -> an unaligned host cluster.
  sh("printf '\\200\\000\\000\\000\\000\\005\\002\\000' | dd of=bad.qcow2 bs=1 seek=262144 "
     "conv=notrunc");
  const Result r = compare("b.qcow2", "bad.qcow2");
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_STATUS_FAILED);
  EXPECT_EQ(r.image, 1u);
  EXPECT_EQ(r.error, instar_guest_ErrorCode_ERROR_CORRUPT_CLUSTER_OFFSET_UNALIGNED);
}

TEST_F(CompareQemuImgTest, RefusesBackingFilesAndEncryption) {
  sh(std::string(kQemuImg) + " create -q -f qcow2 b.qcow2 4M");
  sh(std::string(kQemuImg) + " create -q -f qcow2 -b b.qcow2 -F qcow2 t.qcow2");
  Result r = compare("b.qcow2", "t.qcow2");
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_OPEN_FAILED);
  EXPECT_EQ(r.image, 1u);
  EXPECT_EQ(r.error, instar_guest_ErrorCode_ERROR_BACKING_FILE_NOT_SUPPORTED);
  // crypt_method 1 (AES) patched into a plain image: qemu wants the key before any I/O.
  sh("cp b.qcow2 aes.qcow2 && printf '\\000\\000\\000\\001' | dd of=aes.qcow2 bs=1 seek=32 "
     "conv=notrunc");
  r = compare("aes.qcow2", "b.qcow2");
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_OPEN_FAILED);
  EXPECT_EQ(r.image, 0u);
  EXPECT_EQ(r.error, instar_guest_ErrorCode_ERROR_ENCRYPTION_KEY_REQUIRED);
}

// The host's extent maps (devices 2 and 3) make holes of raw files zero extents, as qemu's
// SEEK_DATA-based block status does; only strict mode can tell.
std::vector<uint8_t> extent_map(std::initializer_list<std::pair<uint64_t, uint64_t>> extents) {
  std::vector<uint8_t> out;
  for (const auto& [start, end] : extents) {
    for (const uint64_t v : {start, end}) {
      for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
  }
  return out;
}

instar_guest_CompareResult strict_with_maps(const std::vector<uint8_t>& map0,
                                            const std::vector<uint8_t>& map1) {
  abi::OpConfig op{};
  op.op = static_cast<uint32_t>(abi::Op::kCompare);
  op.flags = abi::kOpFlagStrict;
  op.input_device[1] = 1;
  const std::vector<uint8_t> image(16384, 0);
  const auto m = run_op_on(op, {image, image, map0, map1});
  EXPECT_GE(m.size(), 2u);
  for (const auto& message : m) {
    if (message.which_body == instar_guest_GuestMessage_compare_result_tag) {
      return message.body.compare_result;
    }
  }
  return instar_guest_CompareResult_init_zero;
}

TEST(CompareExtentMaps, HolesAreZeroExtentsInStrictMode) {
  const auto dense = extent_map({{0, 16384}});
  EXPECT_EQ(strict_with_maps(dense, dense).kind, instar_guest_CompareKind_COMPARE_IDENTICAL);
  auto r = strict_with_maps(dense, extent_map({{4096, 8192}}));
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_STRICT_STATUS_MISMATCH);
  EXPECT_EQ(r.offset, 0u);
  // Same holes: identical; data after a common hole: the status differs where the data starts.
  const auto holey = extent_map({{4096, 8192}});
  EXPECT_EQ(strict_with_maps(holey, holey).kind, instar_guest_CompareKind_COMPARE_IDENTICAL);
  r = strict_with_maps(holey, extent_map({{8192, 16384}}));
  EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_STRICT_STATUS_MISMATCH);
  EXPECT_EQ(r.offset, 4096u);  // both holes first; image 0's data starts at 4096
  EXPECT_EQ(strict_with_maps(extent_map({}), extent_map({})).kind,
            instar_guest_CompareKind_COMPARE_IDENTICAL);
}

TEST(CompareExtentMaps, MalformedMapsAreRefused) {
  const auto dense = extent_map({{0, 16384}});
  for (const auto& bad :
       {extent_map({{0, 0}}), extent_map({{0, 20000}}), extent_map({{8192, 4096}})}) {
    const auto r = strict_with_maps(dense, bad);
    // Found by the first block-status query that reads the bad map.
    EXPECT_EQ(r.kind, instar_guest_CompareKind_COMPARE_STATUS_FAILED);
    EXPECT_EQ(r.image, 1u);
  }
}

}  // namespace
}  // namespace instar::test
