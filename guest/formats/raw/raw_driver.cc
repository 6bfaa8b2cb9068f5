// raw_driver.cc: raw images: open, block status from the host's extent map, reads, info.
#include "guest/formats/raw/raw_driver.h"

#include <new>

#include "guest/formats/raw/partition_table.h"
#include "guest/formats/raw/raw_image.h"
#include "guest/formats/raw/raw_writer.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar::raw {

namespace {

constexpr uint64_t kExtentSize = 16;      // one [start, end) pair of the host's extent map
constexpr uint64_t kExtentWindow = 4096;  // extents read at once
// Zeros written per call by write_zeroes (-n onto an existing target).
constexpr uint64_t kZeroChunk = 64 * 1024;

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

// Only a probe's verdict is classified: an explicit -f raw is the user's decision.
Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  (void)detail;
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  message->body.info.format = instar_guest_Format_FORMAT_RAW;
  message->body.info.raw_head =
      request.probed ? classify_raw_head(request.head) : instar_guest_RawHead_RAW_HEAD_NOT_PROBED;
  message->body.info.virtual_size = virtual_size(request.source->size());
  return emit_message(sink, arena, *message);
}

ImageDriver* new_image(Arena& arena) {
  void* memory = arena.allocate(sizeof(RawDriver), alignof(RawDriver));
  return memory == nullptr ? nullptr : new (memory) RawDriver();
}

ImageWriter* new_writer(const WriterRequest& request, Arena& arena, Status* why) {
  (void)why;
  auto* zeros = arena.allocate_array<uint8_t>(kZeroChunk);
  void* memory = arena.allocate(sizeof(RawWriter), alignof(RawWriter));
  if (zeros == nullptr || memory == nullptr) return nullptr;
  for (uint64_t i = 0; i < kZeroChunk; ++i) zeros[i] = 0;
  return new (memory)
      RawWriter(*request.sink, request.size, request.fresh,
                (request.op->convert_flags & abi::kConvertFlush) != 0, Bytes(zeros, kZeroChunk));
}

}  // namespace

// What a probed-raw image's head looks like, for the host's safe detection (guest.proto RawHead).
// GPT first: a GPT disk's protective MBR also passes looks_like_mbr.
instar_guest_RawHead classify_raw_head(Bytes head) {
  if (has_gpt_header(head)) return instar_guest_RawHead_RAW_HEAD_GPT;
  if (looks_like_mbr(head)) return instar_guest_RawHead_RAW_HEAD_MBR;
  constexpr uint64_t kSector = 512;
  for (uint64_t i = 0; i < kSector && i < head.size; ++i) {
    if (head.data[i] != 0) return instar_guest_RawHead_RAW_HEAD_UNRECOGNISED;
  }
  return instar_guest_RawHead_RAW_HEAD_ZERO_SECTOR;
}

int probe(Bytes head) {
  (void)head;
  return 1;
}

const FormatDriver kRawDriver = {
    .format = abi::ImageFormat::kRaw,
    .info_format = instar_guest_Format_FORMAT_RAW,
    .name = "raw",
    .probe = probe,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = nullptr,
    .new_writer = new_writer,
};

Status RawDriver::open(BlockSource& source, const OpenContext& context, Arena& arena) {
  (void)context;
  (void)arena;
  source_ = &source;
  length_ = virtual_size(source.size());
  return Status::Ok();
}

Status RawDriver::set_extent_map(BlockSource& map, Arena& arena) {
  extent_window_ = arena.allocate_array<uint8_t>(kExtentWindow * kExtentSize);
  if (extent_window_ == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  extents_ = &map;
  extent_count_ = map.size() / kExtentSize;
  extent_window_valid_ = false;
  extent_cursor_ = 0;
  return Status::Ok();
}

Status RawDriver::extent(uint64_t index, uint64_t* start, uint64_t* end) {
  if (!extent_window_valid_ || index < extent_window_first_ ||
      index - extent_window_first_ >= kExtentWindow) {
    extent_window_first_ = index - index % kExtentWindow;
    const uint64_t count = min64(kExtentWindow, extent_count_ - extent_window_first_);
    INSTAR_TRY(read_zero_filled(*extents_, extent_window_first_ * kExtentSize,
                                MutableBytes(extent_window_, count * kExtentSize)));
    extent_window_valid_ = true;
  }
  const uint8_t* record = extent_window_ + (index - extent_window_first_) * kExtentSize;
  *start = load_be64(record);
  *end = load_be64(record + 8);
  return Status::Ok();
}

// raw over file-posix (raw_co_block_status, find_allocation): data extents as DATA, holes and
// the zero-read tail of the last sector as ZERO; everything has an offset and is allocated.
Status RawDriver::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  const uint64_t file_size = source_->size();
  out->flags = kBlockOffsetValid | kBlockAllocated;
  out->host_offset = offset;  // file-posix maps every byte to itself
  if (offset >= file_size) {  // lseek fails with ENXIO: a trailing hole
    out->flags |= kBlockZero;
    out->bytes = bytes;
    return Status::Ok();
  }
  if (extents_ == nullptr) {
    out->flags |= kBlockData;
    out->bytes = min64(bytes, file_size - offset);
    return Status::Ok();
  }
  // A raw image's queries move forward (the walk and then the tail); a vdi's blocks map to file
  // offsets in any order, so a step back finds the first extent ending after `offset` by
  // bisection instead of rescanning from the start.
  uint64_t start = 0, end = 0;
  if (extent_cursor_ > 0) {
    INSTAR_TRY(extent(extent_cursor_ - 1, &start, &end));
    if (offset < end) {
      uint64_t low = 0, high = extent_cursor_ - 1;
      while (low < high) {
        const uint64_t middle = low + (high - low) / 2;
        INSTAR_TRY(extent(middle, &start, &end));
        if (end > offset) {
          high = middle;
        } else {
          low = middle + 1;
        }
      }
      extent_cursor_ = low;
    }
  }
  for (; extent_cursor_ < extent_count_; ++extent_cursor_) {
    INSTAR_TRY(extent(extent_cursor_, &start, &end));
    // The host wrote the map, but it is still input: refuse what lseek cannot produce.
    if (start >= end || end > file_size) return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
    if (end > offset) break;
  }
  if (extent_cursor_ == extent_count_ || offset < start) {
    out->flags |= kBlockZero;  // a hole up to the next data, or up to the end
    out->bytes = extent_cursor_ == extent_count_ ? bytes : min64(bytes, start - offset);
  } else {
    out->flags |= kBlockData;
    out->bytes = min64(bytes, end - offset);
  }
  return Status::Ok();
}

Status RawDriver::read(uint64_t offset, MutableBytes out) {
  return read_zero_filled(*source_, offset, out);
}

Status RawDriver::add_file_status(BlockStatus* out) {
  const uint64_t file_length = length_;
  if (out->host_offset >= file_length) {
    out->flags |= kBlockZero;
    return Status::Ok();
  }
  BlockStatus file;
  INSTAR_TRY(
      block_status(out->host_offset, min64(out->bytes, file_length - out->host_offset), &file));
  const bool eof = out->host_offset + file.bytes == file_length;
  if (eof && (file.flags & kBlockZero) != 0) {
    out->flags |= kBlockZero;
  } else {
    out->bytes = file.bytes;
    out->flags |= file.flags & kBlockZero;
  }
  return Status::Ok();
}

}  // namespace instar::raw
