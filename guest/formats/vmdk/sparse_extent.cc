// sparse_extent.cc: vmdk_open_vmdk4(), vmdk_init_tables(), get_cluster_offset() and
// vmdk_read_extent() of block/vmdk.c for one hosted sparse extent, read-only.
#include "guest/formats/vmdk/sparse_extent.h"

#include "guest/formats/vmdk/descriptor.h"
#include "guest/formats/windowed_reader.h"
#include "guest/formats/zlib_stream.h"
#include "guest/lib/mem.h"

namespace instar::vmdk {

namespace {

constexpr uint32_t kMaxGtesPerGt = 512;            // "L2 table size too big" above
constexpr uint64_t kMaxClusterSectors = 0x200000;  // "Invalid granularity" above (1 GiB)
constexpr uint64_t kMaxL1Size = 32 * 1024 * 1024;  // "L1 size too big" above
constexpr uint64_t kDescriptorOffset = 0x200;      // s->desc_offset of a sparse file
constexpr uint32_t kGteZeroed = 1;                 // VMDK_GTE_ZEROED
constexpr uint32_t kL1Window = 4096;               // grain directory entries read at once
constexpr uint64_t kMarkerSize = 12;               // VmdkGrainMarker: lba, size
// BDRV_MAX_LENGTH: bdrv_pread() refuses ranges beyond it (and negative offsets) with -EIO.
constexpr uint64_t kMaxLength = 0x7fffffffc0000000;

Status error(instar_guest_ErrorCode code) {
  return Status(code);
}

// bdrv_check_request(): the offset is an int64_t.
bool read_refused(uint64_t offset, uint64_t bytes) {
  return offset > kMaxLength || bytes > kMaxLength || offset > kMaxLength - bytes;
}

// bdrv_nb_sectors(): the file's length in sectors, rounded up.
uint64_t file_sectors(const BlockSource& file) {
  return (file.size() + kSectorSize - 1) / kSectorSize;
}

// uncompress(): a zlib stream that must end within `out`; the bytes it produced.
bool inflate_grain(Bytes in, MutableBytes out, Arena& arena, uint64_t* produced) {
  const uint64_t mark = arena.mark();
  z_stream strm = arena_z_stream(arena, in, out);
  bool ok = false;
  if (inflateInit(&strm) == Z_OK) {
    ok = inflate(&strm, Z_FINISH) == Z_STREAM_END;
    *produced = out.size - strm.avail_out;
    inflateEnd(&strm);
  }
  arena.release_to(mark);
  return ok;
}

// vmdk_open_desc_file() up to the extents: the createType check, then instar's refusal.
Status refuse_descriptor(Bytes desc, ErrorNames* detail, uint64_t where) {
  Bytes type;
  if (!parse_option(desc, "createType", kCreateTypeBufferSize, &type)) {
    return error(instar_guest_ErrorCode_ERROR_VMDK_INVALID_DESCRIPTOR);
  }
  if (!is_descriptor_file_type(type)) {
    if (detail != nullptr) detail->set_name(type);
    return error(instar_guest_ErrorCode_ERROR_VMDK_UNSUPPORTED_IMAGE_TYPE);
  }
  return Status(instar_guest_ErrorCode_ERROR_VMDK_DESCRIPTOR_FILE, where);
}

// The descriptor vmdk_parent_open() and vmdk_read_cid() read at 0x200.
Status read_descriptor_facts(BlockSource& file, Arena& arena, DescriptorFacts* facts) {
  auto* desc = arena.allocate_array<uint8_t>(kDescSize);
  if (desc == nullptr) return error(instar_guest_ErrorCode_ERROR_INTERNAL);
  INSTAR_TRY(read_zero_filled(file, kDescriptorOffset, MutableBytes(desc, kDescSize)));
  Bytes hint;
  switch (parent_hint(Bytes(desc, kDescSize), &hint)) {
    case HintResult::kInvalid:
      return error(instar_guest_ErrorCode_ERROR_VMDK_OPEN_EINVAL);
    case HintResult::kFound: {
      auto* copy = arena.allocate_array<uint8_t>(hint.size + 1);
      if (copy == nullptr) return error(instar_guest_ErrorCode_ERROR_INTERNAL);
      if (hint.size != 0) copy_bytes(copy, hint.data, hint.size);
      facts->has_backing = true;
      facts->backing_name = Bytes(copy, hint.size);
      break;
    }
    case HintResult::kNone:
      break;
  }
  desc[kDescSize - 1] = 0;  // vmdk_read_cid() terminates its copy
  if (!read_cid(Bytes(desc, kDescSize), false, &facts->cid) ||
      !read_cid(Bytes(desc, kDescSize), true, &facts->parent_cid)) {
    return error(instar_guest_ErrorCode_ERROR_VMDK_OPEN_EINVAL);
  }
  return Status::Ok();
}

}  // namespace

Status SparseExtent::open(BlockSource& file, Bytes head, Arena& arena, ErrorNames* detail,
                          DescriptorFacts* facts) {
  file_ = &file;
  arena_ = &arena;
  if (load_be32(head.data) == kMagicVmdk3)
    return error(instar_guest_ErrorCode_ERROR_VMDK_VMFS_SPARSE);

  uint8_t raw[kHeaderSize];
  INSTAR_TRY(read_zero_filled(file, 4, MutableBytes(raw, kHeaderSize)));
  Header h = decode_header(Bytes(raw, kHeaderSize));

  if (h.capacity == 0 && h.desc_offset != 0) {
    // A descriptor inside a sparse header: vmdk_read_desc() at desc_offset << 9.
    const uint64_t offset = h.desc_offset << 9;
    const uint64_t size = file.size() < kDescReadMax ? file.size() : kDescReadMax;
    if (read_refused(offset, size)) return error(instar_guest_ErrorCode_ERROR_VMDK_DESC_READ);
    const uint64_t mark = arena.mark();
    auto* desc = arena.allocate_array<uint8_t>(size);
    if (desc == nullptr) return error(instar_guest_ErrorCode_ERROR_INTERNAL);
    INSTAR_TRY(read_zero_filled(file, offset, MutableBytes(desc, size)));
    const Status refused = refuse_descriptor(Bytes(desc, size), detail, 1);
    arena.release_to(mark);
    return refused;
  }

  if (h.gd_offset == kGdAtEnd) {
    // The footer takes precedence: it ends 512 bytes before the file's (sector-rounded) end.
    const uint64_t end = file_sectors(file) * kSectorSize;
    if (end < kFooterDistance) return error(instar_guest_ErrorCode_ERROR_VMDK_FOOTER_READ);
    uint8_t footer[kFooterSize];
    INSTAR_TRY(read_zero_filled(file, end - kFooterDistance, MutableBytes(footer, kFooterSize)));
    if (!decode_footer(Bytes(footer, kFooterSize), &h)) {
      return error(instar_guest_ErrorCode_ERROR_VMDK_INVALID_FOOTER);
    }
  }

  compressed_ = h.compress_algorithm == kCompressionDeflate;
  if (h.version > 3)
    return Status(instar_guest_ErrorCode_ERROR_VMDK_UNSUPPORTED_VERSION, h.version);
  if (h.num_gtes_per_gt > kMaxGtesPerGt)
    return error(instar_guest_ErrorCode_ERROR_VMDK_L2_TABLE_TOO_BIG);
  // Both are 32-bit variables in qemu: the product and the quotient are truncated.
  l1_entry_sectors_ = static_cast<uint32_t>(h.num_gtes_per_gt * h.granularity);
  if (l1_entry_sectors_ == 0) return error(instar_guest_ErrorCode_ERROR_VMDK_L1_ENTRY_INVALID);
  l1_size_ = static_cast<uint32_t>((h.capacity + l1_entry_sectors_ - 1) / l1_entry_sectors_);
  const uint64_t l1_backup_offset = (h.flags & kFlagRedundantGd) != 0 ? h.rgd_offset << 9 : 0;
  if (file_sectors(file) < h.grain_offset) {
    return Status(instar_guest_ErrorCode_ERROR_VMDK_TRUNCATED, h.grain_offset * kSectorSize);
  }
  // vmdk_add_extent()
  if (h.granularity > kMaxClusterSectors) {
    return error(instar_guest_ErrorCode_ERROR_VMDK_INVALID_GRANULARITY);
  }
  if (l1_size_ > kMaxL1Size) return error(instar_guest_ErrorCode_ERROR_VMDK_L1_TOO_BIG);
  has_marker_ = (h.flags & kFlagMarker) != 0;
  has_zero_grain_ = (h.flags & kFlagZeroGrain) != 0;
  // vmdk_init_tables(): the tables are read whole in qemu; only a refused read can fail there
  // (past the end of the file they read as zeros), so they are read lazily here.
  l1_offset_ = h.gd_offset << 9;
  const uint64_t l1_bytes = uint64_t{l1_size_} * 4;
  if (read_refused(l1_offset_, l1_bytes)) return error(instar_guest_ErrorCode_ERROR_VMDK_L1_READ);
  if (l1_backup_offset != 0 && read_refused(l1_backup_offset, l1_bytes)) {
    return error(instar_guest_ErrorCode_ERROR_VMDK_L1_BACKUP_READ);
  }
  header_ = h;

  l1_window_ = arena.allocate_array<uint32_t>(kL1Window);
  l2_table_ = arena.allocate_array<uint8_t>(uint64_t{h.num_gtes_per_gt} * 4);
  if (l1_window_ == nullptr || l2_table_ == nullptr)
    return error(instar_guest_ErrorCode_ERROR_INTERNAL);
  l1_window_count_ = 0;
  l2_cached_offset_ = 0;
  if (compressed_) {
    grain_buffer_ = arena.allocate_array<uint8_t>(2 * cluster_bytes());
    inflate_buffer_ = arena.allocate_array<uint8_t>(cluster_bytes());
    if (grain_buffer_ == nullptr || inflate_buffer_ == nullptr) {
      return error(instar_guest_ErrorCode_ERROR_INTERNAL);
    }
  }
  // vmdk_open(): then vmdk_parent_open() and vmdk_read_cid() on the descriptor at 0x200.
  return read_descriptor_facts(file, arena, facts);
}

Status SparseExtent::load_l1_entry(uint32_t index, uint32_t* entry) {
  if (l1_window_count_ == 0 || index < l1_window_first_ ||
      index - l1_window_first_ >= l1_window_count_) {
    l1_window_first_ = index - index % kL1Window;
    const uint32_t left = l1_size_ - l1_window_first_;
    l1_window_count_ = left < kL1Window ? left : kL1Window;
    auto* bytes = reinterpret_cast<uint8_t*>(l1_window_);
    INSTAR_TRY(read_zero_filled(*file_, l1_offset_ + uint64_t{l1_window_first_} * 4,
                                MutableBytes(bytes, uint64_t{l1_window_count_} * 4)));
  }
  *entry = load_le32(reinterpret_cast<const uint8_t*>(l1_window_ + (index - l1_window_first_)));
  return Status::Ok();
}

Status SparseExtent::lookup(uint64_t offset, Grain* out) {
  const uint64_t sector = offset >> 9;
  const auto l1_index = static_cast<uint32_t>(sector / l1_entry_sectors_);
  if (l1_index >= l1_size_) {
    out->state = GrainState::kError;
    return Status::Ok();
  }
  uint32_t l2_offset = 0;
  INSTAR_TRY(load_l1_entry(l1_index, &l2_offset));
  if (l2_offset == 0) {
    out->state = GrainState::kUnallocated;
    return Status::Ok();
  }
  const uint64_t l2_bytes = uint64_t{header_.num_gtes_per_gt} * 4;
  if (l2_offset != l2_cached_offset_) {
    l2_cached_offset_ = 0;
    INSTAR_TRY(read_zero_filled(*file_, uint64_t{l2_offset} * kSectorSize,
                                MutableBytes(l2_table_, l2_bytes)));
    l2_cached_offset_ = l2_offset;
  }
  const auto l2_index =
      static_cast<uint32_t>((sector / header_.granularity) % header_.num_gtes_per_gt);
  const uint32_t entry = load_le32(l2_table_ + uint64_t{l2_index} * 4);
  if (has_zero_grain_ && entry == kGteZeroed) {
    out->state = GrainState::kZeroed;
  } else if (entry == 0) {
    out->state = GrainState::kUnallocated;
  } else {
    out->state = GrainState::kAllocated;
    out->host_offset = uint64_t{entry} << 9;
  }
  return Status::Ok();
}

Status SparseExtent::load_grain(uint64_t host_offset) {
  const uint64_t cluster = cluster_bytes();
  const uint64_t buffer_bytes = 2 * cluster;  // a marker and its data may pass one grain
  INSTAR_TRY(read_zero_filled(*file_, host_offset, MutableBytes(grain_buffer_, buffer_bytes)));
  const uint8_t* data = grain_buffer_;
  uint64_t data_length = cluster;
  if (has_marker_) {
    data = grain_buffer_ + kMarkerSize;
    data_length = load_le32(grain_buffer_ + 8);
  }
  // qemu accepts data_length up to the buffer's size and then reads past its buffer by the
  // marker's 12 bytes; instar refuses that tail instead (it is never a valid grain).
  const uint64_t available = buffer_bytes - static_cast<uint64_t>(data - grain_buffer_);
  if (data_length == 0 || data_length > available)
    return error(instar_guest_ErrorCode_ERROR_VMDK_GRAIN);
  if (!inflate_grain(Bytes(data, data_length), MutableBytes(inflate_buffer_, cluster), *arena_,
                     &inflated_size_)) {
    return error(instar_guest_ErrorCode_ERROR_VMDK_GRAIN);
  }
  inflated_host_offset_ = host_offset;
  inflated_valid_ = true;
  return Status::Ok();
}

Status SparseExtent::read(const Grain& grain, uint64_t in_grain, MutableBytes out) {
  if (!compressed_) return read_zero_filled(*file_, grain.host_offset + in_grain, out);
  if (!inflated_valid_ || inflated_host_offset_ != grain.host_offset) {
    inflated_valid_ = false;
    INSTAR_TRY(load_grain(grain.host_offset));
  }
  if (in_grain + out.size > inflated_size_) return error(instar_guest_ErrorCode_ERROR_VMDK_GRAIN);
  copy_bytes(out.data, inflate_buffer_ + in_grain, out.size);
  return Status::Ok();
}

}  // namespace instar::vmdk
