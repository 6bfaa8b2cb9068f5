// qcow_driver.cc: qcow (v1) images behind the driver interface: probe, open, cluster lookup,
// block status, reads (compressed clusters inflated, unallocated ones from the backing file) and
// info's description. qemu 7.2 has no check for the format.
#include "guest/formats/qcow/qcow_driver.h"

#include <new>

#include "guest/formats/qcow2/decompress.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/lib/mem.h"

namespace instar::qcow {

namespace {

constexpr uint64_t kWindowBytes = 64 * 1024;  // one largest L2 table, 8192 L1 entries
constexpr uint64_t kSectorSize = 512;

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  (void)detail;
  Image image;
  INSTAR_TRY(open_qcow(*request.source, request.no_io, arena, &image));
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_ImageInfo& info = message->body.info;
  info.format = instar_guest_Format_FORMAT_QCOW;
  info.virtual_size = image.geometry.length;
  info.cluster_size = image.geometry.cluster_size;  // qcow_get_info()
  info.has_qcow = true;
  instar_guest_QcowInfo& q = info.qcow;
  q.has_backing_file = image.has_backing;
  if (image.has_backing) set_bytes(&q.backing_file, image.backing_name);
  q.encrypted = image.header.crypt_method != 0;
  return emit_message(sink, arena, *message);
}

ImageDriver* new_image(Arena& arena) {
  void* memory = arena.allocate(sizeof(QcowDriver), alignof(QcowDriver));
  return memory == nullptr ? nullptr : new (memory) QcowDriver();
}

}  // namespace

Status open_qcow(BlockSource& source, bool no_io, Arena& arena, Image* image) {
  uint8_t bytes[kHeaderBytes];
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(bytes, kHeaderBytes)));
  image->header = decode_header(Bytes(bytes, kHeaderBytes));
  INSTAR_TRY(validate(image->header, no_io, &image->geometry));
  image->source = &source;
  const Header& h = image->header;
  if (h.backing_file_offset != 0) {
    // The stored bytes (zeros past EOF), then C-string semantics.
    uint8_t* name = arena.allocate_array<uint8_t>(uint64_t{h.backing_file_size} + 1);
    if (name == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    INSTAR_TRY(
        read_zero_filled(source, h.backing_file_offset, MutableBytes(name, h.backing_file_size)));
    uint64_t n = 0;
    while (n < h.backing_file_size && name[n] != 0) ++n;
    image->backing_name = Bytes(name, n);
    image->has_backing = n != 0;
  }
  image->l1 = new_windowed_reader(source, arena, kWindowBytes);
  image->l2 = new_windowed_reader(source, arena, kWindowBytes);
  if (image->l1 == nullptr || image->l2 == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  return Status::Ok();
}

Status cluster_entry(Image& image, uint64_t offset, uint64_t* entry) {
  const Header& h = image.header;
  const Geometry& g = image.geometry;
  *entry = 0;
  const uint64_t l1_index = offset >> (h.cluster_bits + h.l2_bits);  // < l1_entries: offset < size
  uint64_t l2 = 0;
  INSTAR_TRY(read_be64_entry(*image.l1, h.l1_table_offset, l1_index, &l2));
  if (l2 == 0) return Status::Ok();
  // The whole L2 table is read (zeros past EOF); a table past BDRV_MAX_LENGTH is -EIO.
  if (l2 > kMaxLength || g.l2_entries * 8 > kMaxLength - l2) {
    return Status(instar_guest_ErrorCode_ERROR_SMALL_EIO);
  }
  const uint64_t l2_index = (offset >> h.cluster_bits) & (g.l2_entries - 1);
  return read_be64_entry(*image.l2, l2, l2_index, entry);
}

const FormatDriver kQcowDriver = {
    .format = abi::ImageFormat::kQcow,
    .info_format = instar_guest_Format_FORMAT_QCOW,
    .name = "qcow",
    .probe = probe,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = nullptr,  // "This image format does not support checks"
    .new_writer = nullptr,
};

Status QcowDriver::open(BlockSource& source, const OpenContext& context, Arena& arena) {
  if (context.data_file != nullptr) return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  INSTAR_TRY(open_qcow(source, false, arena, &image_));
  if (image_.has_backing && !context.chained) {
    return Status(instar_guest_ErrorCode_ERROR_BACKING_FILE_NOT_SUPPORTED);
  }
  arena_ = &arena;
  cluster_cache_ = arena.allocate_array<uint8_t>(image_.geometry.cluster_size);
  if (cluster_cache_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  return Status::Ok();
}

// qcow_co_block_status(): one cluster at most; unallocated clusters are left to the generic
// layer, compressed ones are DATA without an offset, the rest DATA at entry | offset in cluster
// (qemu ORs, so an unaligned entry shows as qemu shows it). No AES image opens for I/O.
Status QcowDriver::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  const uint64_t in_cluster = offset & (image_.geometry.cluster_size - 1);
  uint64_t entry = 0;
  INSTAR_TRY(cluster_entry(image_, offset, &entry));
  BlockStatus s;
  s.bytes = min64(image_.geometry.cluster_size - in_cluster, bytes);
  if (entry != 0 && (entry & kCompressed) != 0) {
    s.flags = kBlockData;
    s.compressed = true;
  } else if (entry != 0) {
    s.flags = kBlockData | kBlockOffsetValid;
    s.host_offset = entry | in_cluster;
  }
  *out = s;
  return Status::Ok();
}

// qcow_co_preadv(): cluster by cluster; unallocated clusters from the backing file (zeros without
// one), compressed ones inflated whole (-EIO when they do not inflate to a full cluster), the
// rest from the file (zeros past its end; -EIO for an entry not aligned to a sector).
Status QcowDriver::read(uint64_t offset, MutableBytes out) {
  const uint64_t cluster_size = image_.geometry.cluster_size;
  uint64_t done = 0;
  while (done < out.size) {
    const uint64_t at = offset + done;
    const uint64_t in_cluster = at & (cluster_size - 1);
    const uint64_t n = min64(out.size - done, cluster_size - in_cluster);
    uint64_t entry = 0;
    INSTAR_TRY(cluster_entry(image_, at, &entry));
    MutableBytes piece = out.sub(done, n);
    if (entry == 0) {
      if (backing_ == nullptr) {
        fill_bytes(piece.data, 0, n);
      } else {
        INSTAR_TRY(backing_->read_backing(at, piece));
      }
    } else if ((entry & kCompressed) != 0) {
      INSTAR_TRY(inflate(entry));
      copy_bytes(piece.data, cluster_cache_ + in_cluster, n);
    } else {
      if (entry % kSectorSize != 0) return Status(instar_guest_ErrorCode_ERROR_SMALL_EIO);
      if (entry > kMaxLength || in_cluster + n > kMaxLength - entry) {
        return Status(instar_guest_ErrorCode_ERROR_SMALL_EIO);
      }
      INSTAR_TRY(read_zero_filled(*image_.source, entry + in_cluster, piece));
    }
    done += n;
  }
  return Status::Ok();
}

// decompress_cluster(): the compressed bytes (zeros past EOF) inflated as raw deflate into one
// whole cluster, cached by its offset as qemu caches it.
Status QcowDriver::inflate(uint64_t entry) {
  const CompressedExtent e = compressed_extent(entry, image_.header.cluster_bits);
  if (cached_ && cached_offset_ == e.offset) return Status::Ok();
  cached_ = false;
  if (e.offset > kMaxLength || e.size > kMaxLength - e.offset) {
    return Status(instar_guest_ErrorCode_ERROR_SMALL_EIO);
  }
  const uint64_t mark = arena_->mark();
  Status result = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  uint8_t* in = arena_->allocate_array<uint8_t>(e.size == 0 ? 1 : e.size);
  if (in != nullptr) {
    result = read_zero_filled(*image_.source, e.offset, MutableBytes(in, e.size));
    if (result.ok()) {
      result = qcow2::decompress_cluster(qcow2::kCompressionZlib, Bytes(in, e.size),
                                         MutableBytes(cluster_cache_, image_.geometry.cluster_size),
                                         *arena_);
      if (!result.ok()) result = Status(instar_guest_ErrorCode_ERROR_SMALL_EIO);
    }
  }
  arena_->release_to(mark);
  if (result.ok()) {
    cached_ = true;
    cached_offset_ = e.offset;
  }
  return result;
}

}  // namespace instar::qcow
