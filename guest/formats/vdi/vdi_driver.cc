// vdi_driver.cc: vdi images behind the driver interface: probe, open, block status, reads,
// info's description and check (vdi_co_check).
#include "guest/formats/vdi/vdi_driver.h"

#include <new>

#include "guest/formats/check_log.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar::vdi {

namespace {

constexpr int32_t kEnomem = 12;

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  (void)detail;
  Header header;
  EntryTable map;
  INSTAR_TRY(open_vdi(*request.source, arena, &header, &map));
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_ImageInfo& info = message->body.info;
  info.format = instar_guest_Format_FORMAT_VDI;
  info.virtual_size = header.disk_size;
  info.cluster_size = header.block_size;  // vdi_get_info(); no format-specific info in 7.2
  return emit_message(sink, arena, *message);
}

// vdi_co_check(): every allocated entry must name a block below blocks_in_image that no earlier
// entry named, and their count must be the header's blocks_allocated. Read-only, no repair.
Status check(BlockSource& source, MessageSink& sink, Arena& arena) {
  Header header;
  EntryTable map;
  instar_guest_GuestMessage* scratch =
      allocate_message(arena, instar_guest_GuestMessage_check_diagnostics_tag);
  instar_guest_GuestMessage* result =
      allocate_message(arena, instar_guest_GuestMessage_check_result_tag);
  Status opened = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  if (scratch != nullptr && result != nullptr) opened = open_vdi(source, arena, &header, &map);
  if (!opened.ok()) {
    INSTAR_TRY(emit_error(sink, arena, opened, nullptr));
    return emit_done(sink, arena, 1);
  }
  instar_guest_CheckResult& r = result->body.check_result;
  r.format = instar_guest_Format_FORMAT_VDI;
  const uint32_t blocks = header.blocks_in_image;
  // qemu keeps a u32 per block; one bit says the same (the value it prints is the index).
  uint8_t* used = arena.allocate_array<uint8_t>((uint64_t{blocks} + 7) / 8);
  if (used == nullptr && blocks != 0) {
    r.check_errors = 1;  // g_try_new() failed: "Check failed: Cannot allocate memory"
    r.error_number = kEnomem;
    INSTAR_TRY(emit_message(sink, arena, *result));
    return emit_done(sink, arena, 0);
  }
  if (used != nullptr) fill_bytes(used, 0, (uint64_t{blocks} + 7) / 8);
  CheckLog log(sink, arena, scratch);
  uint32_t allocated = 0;
  for (uint32_t block = 0; block < blocks; ++block) {
    uint32_t entry = 0;
    INSTAR_TRY(map.entry(block, &entry));
    if (entry >= kFirstUnallocated) continue;
    if (entry >= blocks) {
      log.line(instar_guest_CheckLine_CHECK_LINE_VDI_BLOCK_TOO_LARGE, block, entry);
      ++r.corruptions;
      continue;
    }
    ++allocated;
    const uint8_t bit = static_cast<uint8_t>(1u << (entry % 8));
    if ((used[entry / 8] & bit) == 0) {
      used[entry / 8] |= bit;
    } else {
      log.line(instar_guest_CheckLine_CHECK_LINE_VDI_BLOCK_ALSO_USED, entry, entry);
      ++r.corruptions;
    }
    INSTAR_TRY(log.status());
  }
  if (allocated != header.blocks_allocated) {
    log.line(instar_guest_CheckLine_CHECK_LINE_VDI_ALLOCATED_MISMATCH, allocated,
             header.blocks_allocated);
    ++r.corruptions;
  }
  INSTAR_TRY(log.flush());
  INSTAR_TRY(emit_message(sink, arena, *result));
  return emit_done(sink, arena, 0);
}

ImageDriver* new_image(Arena& arena) {
  void* memory = arena.allocate(sizeof(VdiDriver), alignof(VdiDriver));
  return memory == nullptr ? nullptr : new (memory) VdiDriver();
}

int probe_head(Bytes head) {
  return probe(head);
}

}  // namespace

Status open_vdi(BlockSource& source, Arena& arena, Header* header, EntryTable* map) {
  uint8_t sector[kHeaderSize];
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(sector, kHeaderSize)));
  *header = decode_header(Bytes(sector, kHeaderSize));
  INSTAR_TRY(validate(header));
  // The block map: blocks_in_image little-endian u32s at offset_bmap (qemu reads it whole).
  return map->open(source, header->offset_bmap, header->blocks_in_image,
                   EntryTable::Order::kLittleEndian, arena);
}

const FormatDriver kVdiDriver = {
    .format = abi::ImageFormat::kVdi,
    .info_format = instar_guest_Format_FORMAT_VDI,
    .name = "vdi",
    .probe = probe_head,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = check,
    .new_writer = nullptr,
};

Status VdiDriver::open(BlockSource& source, const OpenContext& context, Arena& arena) {
  if (context.data_file != nullptr) return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  source_ = &source;
  INSTAR_TRY(open_vdi(source, arena, &header_, &map_));
  return file_.open(source, context, arena);
}

Status VdiDriver::set_file_facts(const FileFacts& facts, Arena& arena) {
  return file_.set_file_facts(facts, arena);
}

// vdi_co_block_status(): one block at most; an unallocated or discarded block is ZERO without an
// offset, an allocated one DATA at its place in the file (plus RECURSE for a static image).
Status VdiDriver::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  const uint64_t in_block = offset % header_.block_size;
  uint32_t entry = 0;
  INSTAR_TRY(map_.entry(static_cast<uint32_t>(offset / header_.block_size), &entry));
  BlockStatus s;
  s.bytes = min64(header_.block_size - in_block, bytes);
  if (entry >= kFirstUnallocated) {
    s.flags = kBlockZero;
  } else {
    s.flags = kBlockData | kBlockOffsetValid;
    s.host_offset = header_.offset_data + uint64_t{entry} * header_.block_size + in_block;
    if (header_.image_type == kTypeStatic) INSTAR_TRY(file_.recurse(&s));
  }
  *out = s;
  return Status::Ok();
}

// vdi_co_preadv(): block by block; blocks that are not allocated read as zeros, allocated ones
// from the file (zeros past its end).
Status VdiDriver::read(uint64_t offset, MutableBytes out) {
  uint64_t done = 0;
  while (done < out.size) {
    const uint64_t at = offset + done;
    const uint64_t in_block = at % header_.block_size;
    const uint64_t n = min64(out.size - done, header_.block_size - in_block);
    uint32_t entry = 0;
    INSTAR_TRY(map_.entry(static_cast<uint32_t>(at / header_.block_size), &entry));
    MutableBytes piece = out.sub(done, n);
    if (entry >= kFirstUnallocated) {
      fill_bytes(piece.data, 0, n);
    } else {
      const uint64_t host = header_.offset_data + uint64_t{entry} * header_.block_size + in_block;
      INSTAR_TRY(read_zero_filled(*source_, host, piece));
    }
    done += n;
  }
  return Status::Ok();
}

}  // namespace instar::vdi
