// vmdk_driver.cc: vmdk images behind the driver interface: probe, open, block status, reads,
// info's description and check.
#include "guest/formats/vmdk/vmdk_driver.h"

#include <new>

#include "guest/formats/check_log.h"
#include "guest/formats/vmdk/descriptor.h"
#include "guest/formats/vmdk/header.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/mem.h"

namespace instar::vmdk {

namespace {

constexpr uint64_t kHeadSize = 4;  // the magic vmdk_open() switches on
// BDRV_MAX_LENGTH: bdrv_open_driver() refuses a longer image.
constexpr uint64_t kMaxLength = 0x7fffffffc0000000;
constexpr int32_t kEinval = 22;
constexpr int32_t kEperm = 1;  // vmdk_co_check() returns VMDK_ERROR (-1) as its errno

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  SparseExtent extent;
  DescriptorFacts facts;
  INSTAR_TRY(open_vmdk(*request.source, arena, detail, &extent, &facts));
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_ImageInfo& info = message->body.info;
  info.format = instar_guest_Format_FORMAT_VMDK;
  info.virtual_size = extent.sectors() * kSectorSize;
  info.cluster_size = extent.cluster_bytes();  // vmdk_co_get_info(): one sparse extent
  info.has_vmdk = true;
  instar_guest_VmdkInfo& v = info.vmdk;
  v.cid = facts.cid;
  v.parent_cid = facts.parent_cid;
  const char* type = extent.compressed() ? "streamOptimized" : "monolithicSparse";
  for (uint64_t i = 0; type[i] != 0 && i + 1 < sizeof v.create_type; ++i)
    v.create_type[i] = type[i];
  v.extents_count = 1;
  v.extents[0].virtual_size = extent.sectors() * kSectorSize;
  v.extents[0].cluster_size = extent.cluster_bytes();
  v.extents[0].compressed = extent.compressed();
  v.has_backing_file = facts.has_backing;
  set_bytes(&v.backing_file, facts.backing_name);
  return emit_message(sink, arena, *message);
}

ImageDriver* new_image(Arena& arena) {
  void* memory = arena.allocate(sizeof(VmdkDriver), alignof(VmdkDriver));
  return memory == nullptr ? nullptr : new (memory) VmdkDriver();
}

}  // namespace

Status open_vmdk(BlockSource& source, Arena& arena, ErrorNames* detail, SparseExtent* extent,
                 DescriptorFacts* facts) {
  // vmdk_read_desc(file, 0): up to 1 MiB - 1 bytes; the magic picks sparse or descriptor.
  uint8_t head[kHeadSize];
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(head, kHeadSize)));
  const uint32_t magic = load_be32(head);
  if (magic != kMagicVmdk4 && magic != kMagicVmdk3) {
    const uint64_t size = min64(source.size(), kDescReadMax);
    const uint64_t mark = arena.mark();
    auto* desc = arena.allocate_array<uint8_t>(size + 1);
    if (desc == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(desc, size)));
    desc[size] = 0;
    Bytes type;
    Status refused = Status(instar_guest_ErrorCode_ERROR_VMDK_DESCRIPTOR_FILE, 0);
    if (!parse_option(Bytes(desc, size + 1), "createType", kCreateTypeBufferSize, &type)) {
      refused = Status(instar_guest_ErrorCode_ERROR_VMDK_INVALID_DESCRIPTOR);
    } else if (!is_descriptor_file_type(type)) {
      if (detail != nullptr) detail->set_name(type);
      refused = Status(instar_guest_ErrorCode_ERROR_VMDK_UNSUPPORTED_IMAGE_TYPE);
    }
    arena.release_to(mark);
    return refused;
  }
  INSTAR_TRY(extent->open(source, Bytes(head, kHeadSize), arena, detail, facts));
  // bdrv_open_driver() then refreshes the length: total_sectors * 512 within BDRV_MAX_LENGTH.
  if (extent->sectors() > kMaxLength / kSectorSize) {
    return Status(instar_guest_ErrorCode_ERROR_TOTAL_SECTORS_OVERFLOW);
  }
  return Status::Ok();
}

Status check(BlockSource& source, MessageSink& sink, Arena& arena) {
  SparseExtent extent;
  DescriptorFacts facts;
  ErrorNames* detail =
      static_cast<ErrorNames*>(arena.allocate(sizeof(ErrorNames), alignof(ErrorNames)));
  instar_guest_GuestMessage* scratch =
      allocate_message(arena, instar_guest_GuestMessage_check_diagnostics_tag);
  instar_guest_GuestMessage* result =
      allocate_message(arena, instar_guest_GuestMessage_check_result_tag);
  Status opened = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  if (detail != nullptr && scratch != nullptr && result != nullptr) {
    detail->clear();
    opened = open_vmdk(source, arena, detail, &extent, &facts);
    // qemu-img check opens the backing file too; instar does not follow vmdk backing yet.
    if (opened.ok() && facts.has_backing) {
      opened = Status(instar_guest_ErrorCode_ERROR_BACKING_FILE_NOT_SUPPORTED);
    }
  }
  if (!opened.ok()) {
    INSTAR_TRY(emit_error(sink, arena, opened, detail));
    return emit_done(sink, arena, 1);
  }
  CheckLog log(sink, arena, scratch);
  instar_guest_CheckResult& r = result->body.check_result;
  r.format = instar_guest_Format_FORMAT_VMDK;
  // vmdk_co_check(): every grain's lookup; an allocated one must start inside its file.
  const uint64_t total_sectors = extent.sectors();
  const uint64_t grain_sectors = extent.cluster_bytes() / kSectorSize;
  for (uint64_t sector = 0; sector < total_sectors; sector += grain_sectors) {
    Grain grain;
    INSTAR_TRY(extent.lookup(sector * kSectorSize, &grain));
    if (grain.state == GrainState::kError) {
      log.line(instar_guest_CheckLine_CHECK_LINE_VMDK_CLUSTER_OFFSET_FAILED, sector);
      r.corruptions = 1;
      r.error_number = kEperm;
      break;
    }
    if (grain.state == GrainState::kAllocated && grain.host_offset >= source.size()) {
      log.line(instar_guest_CheckLine_CHECK_LINE_VMDK_CLUSTER_PAST_EOF, sector);
      r.corruptions = 1;
      r.error_number = kEinval;
      break;
    }
  }
  INSTAR_TRY(log.flush());
  INSTAR_TRY(emit_message(sink, arena, *result));
  return emit_done(sink, arena, 0);
}

int probe_head(Bytes head) {
  return probe(head);
}

const FormatDriver kVmdkDriver = {
    .format = abi::ImageFormat::kVmdk,
    .info_format = instar_guest_Format_FORMAT_VMDK,
    .name = "vmdk",
    .probe = probe_head,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = check,
    .new_writer = nullptr,
};

Status VmdkDriver::open(BlockSource& source, const OpenContext& context, Arena& arena) {
  DescriptorFacts facts;
  INSTAR_TRY(open_vmdk(source, arena, context.detail, &extent_, &facts));
  if (context.data_file != nullptr) return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  // parentFileNameHint: instar does not follow vmdk backing files yet (docs/formats.md).
  if (facts.has_backing) return Status(instar_guest_ErrorCode_ERROR_BACKING_FILE_NOT_SUPPORTED);
  return Status::Ok();
}

// vmdk_co_block_status(): one grain at most; compressed grains have no usable offset.
Status VmdkDriver::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  Grain grain;
  INSTAR_TRY(extent_.lookup(offset, &grain));
  const uint64_t in_grain = offset % extent_.cluster_bytes();
  BlockStatus s;
  s.bytes = min64(extent_.cluster_bytes() - in_grain, bytes);
  switch (grain.state) {
    case GrainState::kError:
      return Status(instar_guest_ErrorCode_ERROR_VMDK_CLUSTER_LOOKUP);
    case GrainState::kUnallocated:
      break;
    case GrainState::kZeroed:
      s.flags = kBlockZero;
      break;
    case GrainState::kAllocated:
      s.flags = kBlockData;
      if (extent_.compressed()) {
        s.compressed = true;
      } else {
        s.flags |= kBlockOffsetValid;
        s.host_offset = grain.host_offset + in_grain;
      }
      break;
  }
  *out = s;
  return Status::Ok();
}

// vmdk_co_preadv(): grain by grain; unallocated and zeroed grains read as zeros.
Status VmdkDriver::read(uint64_t offset, MutableBytes out) {
  uint64_t done = 0;
  while (done < out.size) {
    Grain grain;
    INSTAR_TRY(extent_.lookup(offset + done, &grain));
    const uint64_t in_grain = (offset + done) % extent_.cluster_bytes();
    const uint64_t n = min64(out.size - done, extent_.cluster_bytes() - in_grain);
    MutableBytes piece = out.sub(done, n);
    if (grain.state == GrainState::kAllocated) {
      INSTAR_TRY(extent_.read(grain, in_grain, piece));
    } else {
      // qemu reads VMDK_ERROR like an unallocated grain here: zeros.
      fill_bytes(piece.data, 0, n);
    }
    done += n;
  }
  return Status::Ok();
}

}  // namespace instar::vmdk
