// compress.cc: qcow2_compress() and qcow2_zstd_compress() with the same codec parameters, so the
// compressed bytes are the ones qemu (built against the same zlib and libzstd) writes.
#include "guest/formats/qcow2/compress.h"

#include "guest/formats/qcow2/limits.h"

#define Z_SOLO
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

namespace instar::qcow2 {

namespace {

void* zlib_alloc(void* opaque, unsigned items, unsigned size) {
  return static_cast<Arena*>(opaque)->allocate(uint64_t{items} * size, 16);
}
void zlib_free(void*, void*) {}
void* zstd_alloc(void* opaque, size_t size) {
  return static_cast<Arena*>(opaque)->allocate(size, 16);
}
void zstd_free(void*, void*) {}

Status io_error() {
  return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
}

// qcow2_compress(): "best compression, small window, no zlib header": level
// Z_DEFAULT_COMPRESSION, windowBits -12, memLevel 9, one deflate(Z_FINISH).
Result<uint64_t> deflate_cluster(Bytes in, MutableBytes out, Arena& arena) {
  z_stream strm = {};
  strm.zalloc = zlib_alloc;
  strm.zfree = zlib_free;
  strm.opaque = &arena;
  if (deflateInit2(&strm, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return io_error();
  }
  strm.avail_in = static_cast<uInt>(in.size);
  strm.next_in = const_cast<Bytef*>(in.data);
  strm.avail_out = static_cast<uInt>(out.size);
  strm.next_out = out.data;
  const int ret = deflate(&strm, Z_FINISH);
  const uint64_t produced = out.size - strm.avail_out;
  deflateEnd(&strm);
  if (ret == Z_STREAM_END) return produced;
  if (ret == Z_OK) return uint64_t{0};  // -ENOMEM: does not fit
  return io_error();
}

// qcow2_zstd_compress(): default parameters, one ZSTD_compressStream2(ZSTD_e_end) call.
Result<uint64_t> zstd_cluster(Bytes in, MutableBytes out, Arena& arena) {
  const ZSTD_customMem mem = {zstd_alloc, zstd_free, &arena};
  ZSTD_CCtx* cctx = ZSTD_createCCtx_advanced(mem);
  if (cctx == nullptr) return io_error();
  ZSTD_outBuffer output = {out.data, out.size, 0};
  ZSTD_inBuffer input = {in.data, in.size, 0};
  const size_t ret = ZSTD_compressStream2(cctx, &output, &input, ZSTD_e_end);
  ZSTD_freeCCtx(cctx);
  if (ret != 0) {
    // qemu: a remainder larger than the space left is -ENOMEM, anything else -EIO.
    if (ret > output.size - output.pos) return uint64_t{0};
    return io_error();
  }
  return uint64_t{output.pos};
}

}  // namespace

Result<uint64_t> compress_cluster(uint8_t compression_type, Bytes in, MutableBytes out,
                                  Arena& arena) {
  const uint64_t mark = arena.mark();
  Result<uint64_t> r = compression_type == kCompressionZstd ? zstd_cluster(in, out, arena)
                                                            : deflate_cluster(in, out, arena);
  arena.release_to(mark);
  return r;
}

}  // namespace instar::qcow2
