// decompress.cc: zlib raw inflate and zstd streaming decompression over arena allocators.
#include "guest/formats/qcow2/decompress.h"

#include "guest/formats/qcow2/limits.h"

#include "guest/formats/zlib_stream.h"
// The custom-allocator entry points are in zstd's static-linking API.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

namespace instar::qcow2 {

namespace {

Status failed() {
  return Status(instar_guest_ErrorCode_ERROR_DECOMPRESSION_FAILED);
}

// zstd frees in reverse order or not at all before we drop everything at once, so freeing is a
// no-op and the caller's arena mark reclaims the memory (zlib: zlib_stream.h).
void* zstd_alloc(void* opaque, size_t size) {
  return static_cast<Arena*>(opaque)->allocate(size, 16);
}
void zstd_free(void*, void*) {}

// qcow2_zlib_decompress(): windowBits -12, one inflate(Z_FINISH); Z_BUF_ERROR is accepted
// because the input is only known to the sector, but the output must be full.
Status inflate_zlib(Bytes in, MutableBytes out, Arena& arena) {
  z_stream strm = arena_z_stream(arena, in, out);
  if (inflateInit2(&strm, -12) != Z_OK) return failed();
  const int ret = inflate(&strm, Z_FINISH);
  const bool ok = (ret == Z_STREAM_END || ret == Z_BUF_ERROR) && strm.avail_out == 0;
  inflateEnd(&strm);
  return ok ? Status::Ok() : failed();
}

// qcow2_zstd_decompress(): stream frames until the output is full; every step must make
// progress, and the last frame must be completely flushed.
Status decompress_zstd(Bytes in, MutableBytes out, Arena& arena) {
  const ZSTD_customMem mem = {zstd_alloc, zstd_free, &arena};
  ZSTD_DCtx* dctx = ZSTD_createDCtx_advanced(mem);
  if (dctx == nullptr) return failed();
  ZSTD_outBuffer output = {out.data, out.size, 0};
  ZSTD_inBuffer input = {in.data, in.size, 0};
  size_t last = 0;
  bool ok = true;
  while (output.pos < output.size) {
    const size_t in_pos = input.pos;
    const size_t out_pos = output.pos;
    last = ZSTD_decompressStream(dctx, &output, &input);
    if (ZSTD_isError(last) || (in_pos >= input.pos && out_pos >= output.pos)) {
      ok = false;
      break;
    }
  }
  if (ok && last > 0) ok = false;
  ZSTD_freeDCtx(dctx);
  return ok ? Status::Ok() : failed();
}

}  // namespace

Status decompress_cluster(uint8_t compression_type, Bytes in, MutableBytes out, Arena& arena) {
  const uint64_t mark = arena.mark();
  Status result = failed();
  // zlib's counters are 32-bit; clusters are at most 2 MiB and their data at most twice that.
  if (in.size <= 0xffffffffu && out.size <= 0xffffffffu) {
    if (compression_type == kCompressionZlib) {
      result = inflate_zlib(in, out, arena);
    } else if (compression_type == kCompressionZstd) {
      result = decompress_zstd(in, out, arena);
    }
  }
  arena.release_to(mark);
  return result;
}

}  // namespace instar::qcow2
