// parallels_driver.cc: Parallels images behind the driver interface: probe, open, block status,
// reads, info's description and check (parallels_co_check() without repair).
#include "guest/formats/parallels/parallels_driver.h"

#include <new>

#include "guest/formats/check_log.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar::parallels {

namespace {

constexpr uint64_t kSectorSize = 512;
// bdrv_open_driver()'s length refresh: total_sectors * 512 within BDRV_MAX_LENGTH (as vmdk's).
constexpr uint64_t kMaxSectors = kMaxLength / kSectorSize;

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

// parallels_read_format_extension(): the extension cluster's magic. instar reads no further.
Status check_format_extension(BlockSource& source, const Header& h, const Geometry& g) {
  const uint64_t at = h.ext_off << 9;  // bytes, as qemu shifts it (wrapping)
  // qemu asserts the offset is positive as an int64_t: it aborts where instar refuses.
  if (at == 0 || at > 0x7fffffffffffffff) {
    return Status(instar_guest_ErrorCode_ERROR_PARALLELS_EXT_UNSUPPORTED);
  }
  if (at > kMaxLength || g.cluster_size > kMaxLength - at) {
    return Status(instar_guest_ErrorCode_ERROR_PARALLELS_EXT_READ);
  }
  uint8_t magic[8];
  INSTAR_TRY(read_zero_filled(source, at, MutableBytes(magic, sizeof magic)));
  const uint64_t value = load_le64(magic);
  if (value != kExtMagic) return Status(instar_guest_ErrorCode_ERROR_PARALLELS_EXT_MAGIC, value);
  return Status(instar_guest_ErrorCode_ERROR_PARALLELS_EXT_UNSUPPORTED);
}

Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  (void)detail;
  Image image;
  INSTAR_TRY(open_parallels(*request.source, arena, &image));
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_ImageInfo& info = message->body.info;
  info.format = instar_guest_Format_FORMAT_PARALLELS;
  info.virtual_size = image.geometry.total_sectors * kSectorSize;
  info.cluster_size = 0;  // parallels has no bdrv_get_info: no cluster size, no dirty flag
  return emit_message(sink, arena, *message);
}

// parallels_co_check() with fix = 0: the in-use flag, every BAT entry against the file's length
// (bdrv_getlength(): whole sectors), fragmentation, and the space past the last cluster.
Status check(BlockSource& source, MessageSink& sink, Arena& arena) {
  Image image;
  instar_guest_GuestMessage* scratch =
      allocate_message(arena, instar_guest_GuestMessage_check_diagnostics_tag);
  instar_guest_GuestMessage* result =
      allocate_message(arena, instar_guest_GuestMessage_check_result_tag);
  Status opened = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  if (scratch != nullptr && result != nullptr) opened = open_parallels(source, arena, &image);
  if (!opened.ok()) {
    INSTAR_TRY(emit_error(sink, arena, opened, nullptr));
    return emit_done(sink, arena, 1);
  }
  instar_guest_CheckResult& r = result->body.check_result;
  r.format = instar_guest_Format_FORMAT_PARALLELS;
  CheckLog log(sink, arena, scratch);
  const uint64_t size = (source.size() + kSectorSize - 1) / kSectorSize * kSectorSize;
  const uint64_t cluster = image.geometry.cluster_size;
  if (image.header.inuse == kInUseMagic) {
    log.line(instar_guest_CheckLine_CHECK_LINE_PARALLELS_UNCLEAN);
    ++r.corruptions;
  }
  r.total_clusters = image.header.bat_entries;
  uint64_t high = 0;
  uint64_t prev = 0;
  for (uint32_t i = 0; i < image.header.bat_entries; ++i) {
    uint32_t entry = 0;
    INSTAR_TRY(image.bat.entry(i, &entry));
    // Below 2^63: entry < 2^32, off_multiplier <= 0x3fe00f.
    const uint64_t off = uint64_t{entry} * image.geometry.off_multiplier * kSectorSize;
    if (off == 0) {
      prev = 0;
      continue;
    }
    if (off > size) {
      log.line(instar_guest_CheckLine_CHECK_LINE_PARALLELS_OUTSIDE_IMAGE, i);
      ++r.corruptions;
    }
    ++r.allocated_clusters;
    if (off > high) high = off;
    if (prev != 0 && prev + cluster != off) ++r.fragmented_clusters;
    prev = off;
    INSTAR_TRY(log.status());
  }
  r.image_end_offset = high + cluster;
  if (size > r.image_end_offset) {
    log.line(instar_guest_CheckLine_CHECK_LINE_PARALLELS_SPACE_LEAKED, size - r.image_end_offset);
    r.leaks += (size - r.image_end_offset + cluster - 1) / cluster;
  }
  INSTAR_TRY(log.flush());
  INSTAR_TRY(emit_message(sink, arena, *result));
  return emit_done(sink, arena, 0);
}

ImageDriver* new_image(Arena& arena) {
  void* memory = arena.allocate(sizeof(ParallelsDriver), alignof(ParallelsDriver));
  return memory == nullptr ? nullptr : new (memory) ParallelsDriver();
}

}  // namespace

Status open_parallels(BlockSource& source, Arena& arena, Image* image) {
  uint8_t bytes[kHeaderBytes];
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(bytes, kHeaderBytes)));
  image->header = decode_header(Bytes(bytes, kHeaderBytes));
  INSTAR_TRY(validate(image->header, &image->geometry));
  image->source = &source;
  INSTAR_TRY(image->bat.open(source, kHeaderBytes, image->header.bat_entries,
                             EntryTable::Order::kLittleEndian, arena));
  if (image->header.ext_off != 0) {
    INSTAR_TRY(check_format_extension(source, image->header, image->geometry));
  }
  if (image->geometry.total_sectors > kMaxSectors) {
    return Status(instar_guest_ErrorCode_ERROR_TOTAL_SECTORS_OVERFLOW);
  }
  return Status::Ok();
}

Status seek_to_sector(Image& image, uint64_t sector, int64_t* file_sector) {
  const uint64_t tracks = image.header.tracks;
  const uint64_t index = sector / tracks;
  *file_sector = -1;
  // index < bat_entries as a uint32_t in qemu; a BAT shorter than the disk leaves the rest
  // unallocated.
  if (index >= image.header.bat_entries) return Status::Ok();
  uint32_t entry = 0;
  INSTAR_TRY(image.bat.entry(static_cast<uint32_t>(index), &entry));
  if (entry == 0) return Status::Ok();
  *file_sector =
      static_cast<int64_t>(uint64_t{entry} * image.geometry.off_multiplier + sector % tracks);
  return Status::Ok();
}

const FormatDriver kParallelsDriver = {
    .format = abi::ImageFormat::kParallels,
    .info_format = instar_guest_Format_FORMAT_PARALLELS,
    .name = "parallels",
    .probe = probe,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = check,
    .new_writer = nullptr,
};

Status ParallelsDriver::open(BlockSource& source, const OpenContext& context, Arena& arena) {
  if (context.data_file != nullptr) return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  return open_parallels(source, arena, &image_);
}

Status ParallelsDriver::run(uint64_t sector, uint64_t sectors, int64_t* start, uint64_t* count) {
  const uint64_t tracks = image_.header.tracks;
  INSTAR_TRY(seek_to_sector(image_, sector, start));
  uint64_t n = min64(sectors, tracks - sector % tracks);
  int64_t next = *start < 0 ? -1 : *start + static_cast<int64_t>(n);
  while (n < sectors) {
    // Past the BAT every cluster is unallocated: the rest of an unallocated run at once, so a
    // huge disk with a short BAT costs no time.
    if ((sector + n) / tracks >= image_.header.bat_entries) {
      if (next < 0) n = sectors;
      break;
    }
    int64_t at = 0;
    INSTAR_TRY(seek_to_sector(image_, sector + n, &at));
    if (at != next) break;
    const uint64_t step = min64(sectors - n, tracks);  // sector + n is cluster-aligned here
    n += step;
    if (next >= 0) next += static_cast<int64_t>(step);
  }
  *count = n;
  return Status::Ok();
}

// parallels_co_block_status(): a run of unallocated clusters (left to the generic layer), or of
// clusters contiguous in the file: DATA at its first byte.
Status ParallelsDriver::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  // qemu asks in whole sectors (request_alignment 512); instar's generic layer may not.
  const uint64_t head = offset % kSectorSize;
  const uint64_t sectors = (head + bytes + kSectorSize - 1) / kSectorSize;
  int64_t start = 0;
  uint64_t count = 0;
  INSTAR_TRY(run(offset / kSectorSize, sectors, &start, &count));
  BlockStatus s;
  s.bytes = min64(count * kSectorSize - head, bytes);
  if (start >= 0) {
    s.flags = kBlockData | kBlockOffsetValid;
    s.host_offset = static_cast<uint64_t>(start) * kSectorSize + head;
  }
  *out = s;
  return Status::Ok();
}

// parallels_co_readv(): run by run; unallocated runs are zeros (a parallels image names no
// backing file), allocated ones come from the file (zeros past its end).
Status ParallelsDriver::read(uint64_t offset, MutableBytes out) {
  uint64_t done = 0;
  while (done < out.size) {
    const uint64_t at = offset + done;
    const uint64_t cluster = image_.geometry.cluster_size;
    const uint64_t n = min64(out.size - done, cluster - at % cluster);
    int64_t file_sector = 0;
    INSTAR_TRY(seek_to_sector(image_, at / kSectorSize, &file_sector));
    MutableBytes piece = out.sub(done, n);
    if (file_sector < 0) {
      fill_bytes(piece.data, 0, n);
    } else {
      const uint64_t host = static_cast<uint64_t>(file_sector) * kSectorSize + at % kSectorSize;
      if (host > kMaxLength || n > kMaxLength - host) {
        return Status(instar_guest_ErrorCode_ERROR_SMALL_EIO);
      }
      INSTAR_TRY(read_zero_filled(*image_.source, host, piece));
    }
    done += n;
  }
  return Status::Ok();
}

}  // namespace instar::parallels
