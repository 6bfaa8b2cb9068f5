// compress.cc: zlib (deflate, window 2^12, no zlib header) and zstd, as block/qcow2-threads.c.
#include "property-tests/writer/compress.h"

#include <zlib.h>
#include <zstd.h>

namespace instar::props {

namespace {

// qcow2_zlib_compress: deflateInit2(Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
// Z_DEFAULT_STRATEGY) -- negative window bits = raw deflate without a zlib header.
std::optional<std::vector<uint8_t>> deflate_raw(const std::vector<uint8_t>& data, uint64_t limit) {
  z_stream strm{};
  if (deflateInit2(&strm, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::vector<uint8_t> out(limit);
  strm.next_in = const_cast<Bytef*>(data.data());
  strm.avail_in = static_cast<uInt>(data.size());
  strm.next_out = out.data();
  strm.avail_out = static_cast<uInt>(out.size());
  const int ret = deflate(&strm, Z_FINISH);
  const uint64_t produced = out.size() - strm.avail_out;
  deflateEnd(&strm);
  if (ret != Z_STREAM_END) return std::nullopt;
  out.resize(produced);
  return out;
}

std::optional<std::vector<uint8_t>> zstd_frame(const std::vector<uint8_t>& data, uint64_t limit) {
  std::vector<uint8_t> out(limit);
  const size_t n =
      ZSTD_compress(out.data(), out.size(), data.data(), data.size(), ZSTD_CLEVEL_DEFAULT);
  if (ZSTD_isError(n)) return std::nullopt;
  out.resize(n);
  return out;
}

}  // namespace

std::optional<std::vector<uint8_t>> compress_cluster(Compression type,
                                                     const std::vector<uint8_t>& data,
                                                     uint64_t limit) {
  return type == Compression::kZstd ? zstd_frame(data, limit) : deflate_raw(data, limit);
}

}  // namespace instar::props
