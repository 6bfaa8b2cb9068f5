// decompress_fuzzer.cc: qcow2 compressed-cluster decompression (zlib raw deflate, zstd frames)
// under arena bounds, as DataReader calls it for every compressed cluster.
//
// Input layout: byte 0 picks the compression type (bit 0) and the cluster size (bits 1-7:
// cluster_bits 9 + n % 13), byte 1 the arena size (64 KiB << n % 9, up to 16 MiB: from too small
// for a zstd context to more than the guest's); the rest is the compressed data.
// Checked beyond "no crash": the arena is back at its mark afterwards, and a successful call
// writes every output byte (two runs over differently poisoned buffers agree).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "guest/formats/qcow2/decompress.h"
#include "guest/formats/qcow2/limits.h"

namespace {

// Buffers sized for the largest case, reused across runs; each run uses their tail, so that
// writing past the arena's or the output's end is still caught by ASan.
constexpr size_t kMaxArena = size_t{16} << 20;
constexpr size_t kMaxCluster = size_t{1} << instar::qcow2::kMaxClusterBits;

uint8_t* tail(std::vector<uint8_t>& buffer, size_t size) {
  return buffer.data() + buffer.size() - size;
}

bool decompress(uint8_t type, instar::Bytes in, instar::MutableBytes out, uint8_t poison,
                instar::Arena& arena) {
  std::memset(out.data, poison, out.size);
  const uint64_t mark = arena.mark();
  const instar::Status status = instar::qcow2::decompress_cluster(type, in, out, arena);
  if (arena.mark() != mark) std::abort();  // the codecs' memory must be returned
  return status.ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t type =
      (data[0] & 1) != 0 ? instar::qcow2::kCompressionZstd : instar::qcow2::kCompressionZlib;
  const uint32_t cluster_bits = instar::qcow2::kMinClusterBits + (data[0] >> 1) % 13;
  const size_t arena_size = size_t{64} << 10 << (data[1] % 9);
  static std::vector<uint8_t> arena_memory(kMaxArena);
  static std::vector<uint8_t> first(kMaxCluster);
  static std::vector<uint8_t> second(kMaxCluster);
  instar::Arena arena(tail(arena_memory, arena_size), arena_size);
  const size_t cluster = size_t{1} << cluster_bits;
  const instar::MutableBytes a(tail(first, cluster), cluster);
  const instar::MutableBytes b(tail(second, cluster), cluster);
  const instar::Bytes in(data + 2, size - 2);
  if (!decompress(type, in, a, 0x00, arena)) return 0;
  if (!decompress(type, in, b, 0xff, arena)) std::abort();      // same input, same outcome
  if (std::memcmp(a.data, b.data, cluster) != 0) std::abort();  // a byte was left unwritten
  return 0;
}
