// vpc_driver.cc: vpc images behind the driver interface: probe, open, block status, reads,
// info's description and check (vpc has none: qemu-img says so once the image opened).
#include "guest/formats/vpc/vpc_driver.h"

#include <new>

#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar::vpc {

namespace {

constexpr uint64_t kSectorSize = 512;

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  (void)detail;
  Opened opened;
  INSTAR_TRY(open_vpc(*request.source, arena, &opened));
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_ImageInfo& info = message->body.info;
  info.format = instar_guest_Format_FORMAT_VPC;
  info.virtual_size = opened.sectors * kSectorSize;
  info.cluster_size = cluster_size_of(opened);
  return emit_message(sink, arena, *message);
}

// vpc has no bdrv_co_check, but qemu-img check opens the image first: an image vpc_open()
// refuses fails with its open error, any other gets "does not support checks" (the host's words).
Status check(BlockSource& source, MessageSink& sink, Arena& arena) {
  Opened opened;
  instar_guest_GuestMessage* result =
      allocate_message(arena, instar_guest_GuestMessage_check_result_tag);
  Status status = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  if (result != nullptr) status = open_vpc(source, arena, &opened);
  if (!status.ok()) {
    INSTAR_TRY(emit_error(sink, arena, status, nullptr));
    return emit_done(sink, arena, 1);
  }
  result->body.check_result.format = instar_guest_Format_FORMAT_VPC;
  INSTAR_TRY(emit_message(sink, arena, *result));
  return emit_done(sink, arena, 0);
}

ImageDriver* new_image(Arena& arena) {
  void* memory = arena.allocate(sizeof(VpcDriver), alignof(VpcDriver));
  return memory == nullptr ? nullptr : new (memory) VpcDriver();
}

int probe_head(Bytes head) {
  return probe(head);
}

// The footer vpc_open() uses: the one at offset 0 (a dynamic or differencing disk), else the
// last 512 bytes of the file, its length rounded up to a sector as bdrv_getlength() gives it,
// which must be a fixed disk's.
Status find_footer(BlockSource& source, Opened* opened) {
  uint8_t sector[kFooterSize];
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(sector, kFooterSize)));
  opened->footer = decode_footer(Bytes(sector, kFooterSize));
  opened->dynamic = opened->footer.has_cookie;
  if (opened->dynamic) return Status::Ok();
  const uint64_t length = (source.size() + kSectorSize - 1) / kSectorSize * kSectorSize;
  if (length < kFooterSize) return Status(instar_guest_ErrorCode_ERROR_VPC_FILE_TOO_SMALL);
  INSTAR_TRY(read_zero_filled(source, length - kFooterSize, MutableBytes(sector, kFooterSize)));
  opened->footer = decode_footer(Bytes(sector, kFooterSize));
  if (!is_fixed_footer(opened->footer)) return Status(instar_guest_ErrorCode_ERROR_VPC_INVALID);
  return Status::Ok();
}

}  // namespace

Status open_vpc(BlockSource& source, Arena& arena, Opened* opened) {
  INSTAR_TRY(find_footer(source, opened));
  INSTAR_TRY(validate_footer(opened->footer, &opened->sectors));
  if (!opened->dynamic) return Status::Ok();
  // bdrv_pread() of the whole header: -EIO for a range past BDRV_MAX_LENGTH, zeros past EOF.
  const uint64_t at = opened->footer.data_offset;
  if (at > kMaxLength - kDynamicHeaderSize) {
    return Status(instar_guest_ErrorCode_ERROR_VPC_DYNAMIC_HEADER_READ);
  }
  uint8_t* buffer = arena.allocate_array<uint8_t>(kDynamicHeaderSize);
  if (buffer == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  INSTAR_TRY(read_zero_filled(source, at, MutableBytes(buffer, kDynamicHeaderSize)));
  opened->header = decode_dynamic_header(Bytes(buffer, kDynamicHeaderSize));
  INSTAR_TRY(validate_dynamic_header(opened->header, opened->sectors));
  return open_bat(source, opened->header, arena, &opened->bat);
}

uint64_t cluster_size_of(const Opened& opened) {
  return opened.footer.type == kTypeFixed ? 0 : opened.header.block_size;
}

const FormatDriver kVpcDriver = {
    .format = abi::ImageFormat::kVpc,
    .info_format = instar_guest_Format_FORMAT_VPC,
    .name = "vpc",
    .probe = probe_head,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = check,
    .new_writer = nullptr,
};

Status VpcDriver::open(BlockSource& source, const OpenContext& context, Arena& arena) {
  if (context.data_file != nullptr) return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  source_ = &source;
  INSTAR_TRY(open_vpc(source, arena, &opened_));
  return file_.open(source, context, arena);
}

uint64_t VpcDriver::cluster_size() const {
  return cluster_size_of(opened_);
}

// get_image_offset()'s lookup: blocks past the BAT are unallocated (the open made sure the BAT
// covers the disk, so none are).
Status VpcDriver::bat_entry(uint64_t index, uint32_t* entry) {
  *entry = kUnallocated;
  if (index >= opened_.bat.count()) return Status::Ok();
  return opened_.bat.entry(static_cast<uint32_t>(index), entry);
}

Status VpcDriver::set_file_facts(const FileFacts& facts, Arena& arena) {
  return file_.set_file_facts(facts, arena);
}

// vpc_co_block_status(). A fixed footer type: the whole range is DATA at the same offset of the
// file, with BDRV_BLOCK_RECURSE (the file's holes read as zeros). Otherwise an allocated block
// is DATA at its place in the file, one block at most (its neighbour's bitmap sits in between);
// a run of unallocated blocks is ZERO without an offset.
Status VpcDriver::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  BlockStatus s;
  if (fixed()) {
    s.flags = kBlockData | kBlockOffsetValid;
    s.bytes = bytes;
    s.host_offset = offset;
    INSTAR_TRY(file_.recurse(&s));
    *out = s;
    return Status::Ok();
  }
  const uint64_t block_size = opened_.header.block_size;
  s.flags = kBlockZero;
  while (s.bytes < bytes) {
    const uint64_t at = offset + s.bytes;
    uint32_t entry = 0;
    INSTAR_TRY(bat_entry(at / block_size, &entry));
    const uint64_t n = min64(block_size - at % block_size, bytes - s.bytes);
    if (entry != kUnallocated) {
      if (s.bytes != 0) break;  // the unallocated run ends here
      s.flags = kBlockData | kBlockOffsetValid;
      s.host_offset = uint64_t{entry} * kSectorSize + bitmap_size(opened_.header) + at % block_size;
      s.bytes = n;
      break;
    }
    s.bytes += n;
  }
  *out = s;
  return Status::Ok();
}

// vpc_co_preadv(): a fixed footer type reads the file 1:1; otherwise block by block, blocks that
// are not allocated as zeros, allocated ones from the file (zeros past its end).
Status VpcDriver::read(uint64_t offset, MutableBytes out) {
  if (fixed()) return read_zero_filled(*source_, offset, out);
  const uint64_t block_size = opened_.header.block_size;
  uint64_t done = 0;
  while (done < out.size) {
    const uint64_t at = offset + done;
    const uint64_t in_block = at % block_size;
    const uint64_t n = min64(out.size - done, block_size - in_block);
    uint32_t entry = 0;
    INSTAR_TRY(bat_entry(at / block_size, &entry));
    MutableBytes piece = out.sub(done, n);
    if (entry == kUnallocated) {
      fill_bytes(piece.data, 0, n);
    } else {
      const uint64_t host = uint64_t{entry} * kSectorSize + bitmap_size(opened_.header) + in_block;
      INSTAR_TRY(read_zero_filled(*source_, host, piece));
    }
    done += n;
  }
  return Status::Ok();
}

}  // namespace instar::vpc
