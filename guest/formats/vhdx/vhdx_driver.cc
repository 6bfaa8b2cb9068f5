// vhdx_driver.cc: vhdx images behind the driver interface: probe, open (vhdx_open()), block
// status, reads (vhdx_co_readv()), info's description and check (vhdx_co_check()).
#include "guest/formats/vhdx/vhdx_driver.h"

#include <new>

#include "guest/formats/check_log.h"
#include "guest/formats/vhdx/log.h"
#include "guest/lib/mem.h"

namespace instar::vhdx {

namespace {

constexpr uint64_t kBatWindow = 64 * kKiB;

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

// bdrv_pread() of image metadata: -EIO for a range past BDRV_MAX_LENGTH, zeros past EOF.
Status pread(BlockSource& source, uint64_t offset, MutableBytes out) {
  if (offset > kMaxLength || out.size > kMaxLength - offset) {
    return Status(instar_guest_ErrorCode_ERROR_VHDX_EIO);
  }
  return read_zero_filled(source, offset, out);
}

// One problem vhdx_check_bat_entries() finds: what qemu's error_report() says of it.
struct BatProblem {
  instar_guest_CheckLine line;
  uint64_t a, b, c, d;
};

// bdrv_getlength() of the image file: the block layer counts whole 512-byte sectors.
uint64_t file_length(BlockSource& source) {
  return (source.size() + 511) / 512 * 512;
}

// vhdx_check_bat_entries(): for every FULLY_PRESENT entry among the first bat_entries, its
// offset must not overflow, its block must lie inside the file, and a payload block (the
// counter below, which only FULLY_PRESENT entries advance, tells payload from sector bitmap)
// must not overlap a region. `report` gets each problem; it returns false to stop (the open's
// check stops at the first one, qemu-img check counts them all).
template <typename Report>
Status check_bat_entries(const Opened& o, uint64_t file_size, Report report) {
  const Geometry& g = o.geometry;
  uint64_t payblocks = g.chunk_ratio;
  const uint64_t total_bytes = g.total_sectors * 512;
  for (uint64_t i = 0; i < g.bat_entries; ++i) {
    // Entries past the end of the file read as zero (NOT_PRESENT): nothing left to check.
    if (o.regions.bat.offset + i * 8 >= file_size) break;
    uint64_t entry = 0;
    INSTAR_TRY(read_bat_entry(o, i, &entry));
    if ((entry & kBatStateMask) != kFullyPresent) continue;
    const uint64_t offset = entry & kBatOffsetMask;
    // MIN(block_size, total bytes - i * block_size) in qemu's u64 arithmetic.
    const uint64_t rest = total_bytes - i * g.block_size;
    const uint32_t block_length = static_cast<uint32_t>(min64(g.block_size, rest));
    if (offset > uint64_t{INT64_MAX} - g.block_size) {
      if (!report({instar_guest_CheckLine_CHECK_LINE_VHDX_BAT_OFFSET_OVERFLOW, i, 0, 0, 0})) {
        return Status::Ok();
      }
    }
    if (offset >= file_size) {
      if (!report({instar_guest_CheckLine_CHECK_LINE_VHDX_BAT_START_PAST_EOF, i, offset, file_size,
                   0})) {
        return Status::Ok();
      }
    } else if (offset + block_length > file_size) {
      if (!report({instar_guest_CheckLine_CHECK_LINE_VHDX_BAT_END_PAST_EOF, i,
                   offset + block_length - 1, file_size, 0})) {
        return Status::Ok();
      }
    }
    if (payblocks--) {
      const int64_t other = o.registered->overlap(offset, g.block_size);
      if (other >= 0 &&
          !report({instar_guest_CheckLine_CHECK_LINE_VHDX_REGION_OVERLAP, offset,
                   offset + g.block_size, o.registered->start[other], o.registered->end[other]})) {
        return Status::Ok();
      }
    } else {
      payblocks = g.chunk_ratio;
    }
  }
  return Status::Ok();
}

Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  (void)detail;
  Opened opened;
  INSTAR_TRY(open_vhdx(*request.source, arena, BatCheck::kAtOpen, &opened));
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_ImageInfo& info = message->body.info;
  info.format = instar_guest_Format_FORMAT_VHDX;
  info.virtual_size = opened.geometry.total_sectors * 512;
  info.cluster_size = opened.geometry.block_size;  // vhdx_get_info(); no format-specific info
  return emit_message(sink, arena, *message);
}

// vhdx_co_check(): the BAT checks of the open, each problem an error_report() line and one
// corruption. Read-only: a log to replay already failed the open.
Status check(BlockSource& source, MessageSink& sink, Arena& arena) {
  Opened opened;
  instar_guest_GuestMessage* scratch =
      allocate_message(arena, instar_guest_GuestMessage_check_diagnostics_tag);
  instar_guest_GuestMessage* result =
      allocate_message(arena, instar_guest_GuestMessage_check_result_tag);
  Status opened_ok = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  if (scratch != nullptr && result != nullptr) {
    opened_ok = open_vhdx(source, arena, BatCheck::kSkip, &opened);
  }
  if (!opened_ok.ok()) {
    INSTAR_TRY(emit_error(sink, arena, opened_ok, nullptr));
    return emit_done(sink, arena, 1);
  }
  instar_guest_CheckResult& r = result->body.check_result;
  r.format = instar_guest_Format_FORMAT_VHDX;
  CheckLog log(sink, arena, scratch);
  INSTAR_TRY(check_bat_entries(opened, file_length(source), [&](const BatProblem& p) {
    if (p.line == instar_guest_CheckLine_CHECK_LINE_VHDX_BAT_OFFSET_OVERFLOW) {
      log.line(p.line, p.a);
    } else if (p.line == instar_guest_CheckLine_CHECK_LINE_VHDX_REGION_OVERLAP) {
      log.line(p.line, p.a, p.b, p.c, p.d);
    } else {
      log.line(p.line, p.a, p.b, p.c);
    }
    ++r.corruptions;
    return log.status().ok();
  }));
  INSTAR_TRY(log.status());
  INSTAR_TRY(log.flush());
  INSTAR_TRY(emit_message(sink, arena, *result));
  return emit_done(sink, arena, 0);
}

ImageDriver* new_image(Arena& arena) {
  void* memory = arena.allocate(sizeof(VhdxDriver), alignof(VhdxDriver));
  return memory == nullptr ? nullptr : new (memory) VhdxDriver();
}

int probe_head(Bytes head) {
  return probe(head);
}

// The metadata item at `item` (an offset in the metadata region), as vhdx_parse_metadata()
// reads it.
Status read_item(BlockSource& source, const Opened& o, uint32_t item, MutableBytes out) {
  return pread(source, o.regions.metadata.offset + item, out);
}

}  // namespace

Status read_bat_entry(const Opened& opened, uint64_t index, uint64_t* entry) {
  uint8_t raw[8];
  INSTAR_TRY(opened.bat->read(opened.regions.bat.offset + index * 8, MutableBytes(raw, 8)));
  *entry = load_le64(raw);
  return Status::Ok();
}

Status open_vhdx(BlockSource& source, Arena& arena, BatCheck bat_check, Opened* opened) {
  Opened& o = *opened;
  uint8_t signature[8];
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(signature, 8)));
  if (probe(Bytes(signature, 8)) == 0) {
    return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonFileSignature);
  }
  // vhdx_parse_header(): both 4 KiB headers, checksummed whole.
  uint8_t* headers = arena.allocate_array<uint8_t>(2 * kHeaderSize);
  o.registered = arena.allocate_array<Regions>(1);
  uint8_t* table = arena.allocate_array<uint8_t>(kRegionTableSize);
  if (headers == nullptr || o.registered == nullptr || table == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  new (o.registered) Regions();
  INSTAR_TRY(read_zero_filled(source, kHeader1Offset, MutableBytes(headers, kHeaderSize)));
  INSTAR_TRY(
      read_zero_filled(source, kHeader2Offset, MutableBytes(headers + kHeaderSize, kHeaderSize)));
  INSTAR_TRY(select_header(Bytes(headers, kHeaderSize), Bytes(headers + kHeaderSize, kHeaderSize),
                           &o.header));
  o.registered->add(o.header.log_offset, o.header.log_length);
  INSTAR_TRY(check_log(source, o.header));
  // vhdx_open_region_tables(): the first table only.
  INSTAR_TRY(read_zero_filled(source, kRegionTableOffset, MutableBytes(table, kRegionTableSize)));
  INSTAR_TRY(decode_region_table(Bytes(table, kRegionTableSize), o.registered, &o.regions));
  // vhdx_parse_metadata(): the table (the region table's buffer is free again), then the items.
  INSTAR_TRY(pread(source, o.regions.metadata.offset, MutableBytes(table, kMetadataTableSize)));
  MetadataTable metadata;
  INSTAR_TRY(decode_metadata_table(Bytes(table, kMetadataTableSize), &metadata));
  uint8_t params[8];
  INSTAR_TRY(read_item(source, o, metadata.file_parameters, MutableBytes(params, 8)));
  if (load_le32(params + 4) & kParamsHasParent) {
    // A parent locator makes the table's item set incomplete already (ENOTSUP above).
    return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonParentNoLocator);
  }
  uint8_t size[8];
  uint8_t logical[4];
  uint8_t physical[4];
  INSTAR_TRY(read_item(source, o, metadata.virtual_disk_size, MutableBytes(size, 8)));
  INSTAR_TRY(read_item(source, o, metadata.logical_sector_size, MutableBytes(logical, 4)));
  INSTAR_TRY(read_item(source, o, metadata.physical_sector_size, MutableBytes(physical, 4)));
  INSTAR_TRY(derive_geometry(load_le32(params), load_le64(size), load_le32(logical), &o.geometry));
  if (o.geometry.bat_entries > o.regions.bat.length / 8) {
    return Status(instar_guest_ErrorCode_ERROR_VHDX_EINVAL, kReasonBatTooSmall);
  }
  // qemu reads the BAT region whole; instar reads entries as needed, but fails as that read does.
  if (o.regions.bat.length > kRequestMaxBytes || o.regions.bat.offset > kMaxLength ||
      o.regions.bat.length > kMaxLength - o.regions.bat.offset) {
    return Status(instar_guest_ErrorCode_ERROR_VHDX_EIO);
  }
  uint8_t* window = arena.allocate_array<uint8_t>(kBatWindow);
  void* reader = arena.allocate(sizeof(WindowedReader), alignof(WindowedReader));
  if (window == nullptr || reader == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  o.bat = new (reader) WindowedReader(source, MutableBytes(window, kBatWindow));
  if (bat_check == BatCheck::kSkip) return Status::Ok();
  Status first;
  INSTAR_TRY(check_bat_entries(o, file_length(source), [&](const BatProblem& p) {
    switch (p.line) {
      case instar_guest_CheckLine_CHECK_LINE_VHDX_BAT_OFFSET_OVERFLOW:
        first = Status(instar_guest_ErrorCode_ERROR_VHDX_BAT_OFFSET_OVERFLOW, p.a);
        break;
      case instar_guest_CheckLine_CHECK_LINE_VHDX_BAT_START_PAST_EOF:
        first = Status(instar_guest_ErrorCode_ERROR_VHDX_BAT_START_PAST_EOF, p.a, p.b, p.c);
        break;
      case instar_guest_CheckLine_CHECK_LINE_VHDX_BAT_END_PAST_EOF:
        first = Status(instar_guest_ErrorCode_ERROR_VHDX_BAT_END_PAST_EOF, p.a, p.b, p.c);
        break;
      default:
        first = Status(instar_guest_ErrorCode_ERROR_VHDX_REGION_OVERLAP, p.a, p.b, p.c, p.d);
        break;
    }
    return false;
  }));
  return first;
}

const FormatDriver kVhdxDriver = {
    .format = abi::ImageFormat::kVhdx,
    .info_format = instar_guest_Format_FORMAT_VHDX,
    .name = "vhdx",
    .probe = probe_head,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = check,
    .new_writer = nullptr,
};

Status VhdxDriver::open(BlockSource& source, const OpenContext& context, Arena& arena) {
  if (context.data_file != nullptr) return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  source_ = &source;
  return open_vhdx(source, arena, BatCheck::kAtOpen, &opened_);
}

// qemu 7.2's vhdx has no bdrv_co_block_status: the generic layer reports every range as data,
// without an offset (bdrv_co_block_status()'s fallback for a format driver).
Status VhdxDriver::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  (void)offset;
  BlockStatus s;
  s.bytes = bytes;
  s.flags = kBlockData;
  *out = s;
  return Status::Ok();
}

// vhdx_co_readv(): block by block; NOT_PRESENT, UNDEFINED, ZERO and UNMAPPED blocks read as
// zeros, FULLY_PRESENT ones from the file, anything else fails with -EIO.
Status VhdxDriver::read(uint64_t offset, MutableBytes out) {
  const Geometry& g = opened_.geometry;
  uint64_t done = 0;
  while (done < out.size) {
    const uint64_t at = offset + done;
    const uint64_t in_block = at % g.block_size;
    const uint64_t n = min64(out.size - done, g.block_size - in_block);
    const uint64_t index = bat_index(g, at / 512);
    // qemu indexes its copy of the BAT region with no bound (a u32 entry count can wrap below
    // the disk's size): past the region it reads beyond its buffer; instar fails the read.
    if (index >= opened_.regions.bat.length / 8) {
      return Status(instar_guest_ErrorCode_ERROR_VHDX_BAT_PAST_TABLE, index);
    }
    uint64_t entry = 0;
    INSTAR_TRY(read_bat_entry(opened_, index, &entry));
    MutableBytes piece = out.sub(done, n);
    switch (entry & kBatStateMask) {
      case kNotPresent:
      case kUndefined:
      case kZero:
      case kUnmapped:
      case kUnmappedV095:
        fill_bytes(piece.data, 0, n);
        break;
      case kFullyPresent: {
        // vhdx_block_translate(): a zero file offset is left as it is, without the offset
        // into the block.
        const uint64_t base = entry & kBatOffsetMask;
        INSTAR_TRY(pread(*source_, base == 0 ? 0 : base + in_block, piece));
        break;
      }
      default:
        return Status(instar_guest_ErrorCode_ERROR_VHDX_BLOCK_STATE, index, entry);
    }
    done += n;
  }
  return Status::Ok();
}

}  // namespace instar::vhdx
