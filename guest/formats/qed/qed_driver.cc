// qed_driver.cc: qed images behind the driver interface: probe, open, cluster lookup, block
// status, reads through the backing file, info's description and check (qed_check, read-only).
#include "guest/formats/qed/qed_driver.h"

#include <new>

#include "guest/lib/mem.h"

namespace instar::qed {

namespace {

constexpr int32_t kEnomem = 12;
constexpr uint64_t kWindowBytes = 64 * 1024;  // 8192 table entries per refill

uint64_t min64(uint64_t a, uint64_t b) {
  return a < b ? a : b;
}

Status table_entry(WindowedReader& reader, uint64_t table, uint64_t index, uint64_t* value) {
  uint8_t raw[8];
  INSTAR_TRY(reader.read(table + index * 8, MutableBytes(raw, sizeof raw)));
  *value = load_le64(raw);
  return Status::Ok();
}

WindowedReader* new_reader(BlockSource& source, Arena& arena) {
  auto* window = arena.allocate_array<uint8_t>(kWindowBytes);
  void* memory = arena.allocate(sizeof(WindowedReader), alignof(WindowedReader));
  if (window == nullptr || memory == nullptr) return nullptr;
  return new (memory) WindowedReader(source, MutableBytes(window, kWindowBytes));
}

Status describe(const InfoRequest& request, MessageSink& sink, Arena& arena, ErrorNames* detail) {
  (void)detail;
  Image image;
  INSTAR_TRY(open_qed(*request.source, arena, &image));
  instar_guest_GuestMessage* message = allocate_message(arena, instar_guest_GuestMessage_info_tag);
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  instar_guest_ImageInfo& info = message->body.info;
  info.format = instar_guest_Format_FORMAT_QED;
  info.virtual_size = image.header.image_size;
  info.cluster_size = image.header.cluster_size;  // bdrv_qed_get_info()
  info.has_qed = true;
  instar_guest_QedInfo& q = info.qed;
  q.has_backing_file = image.has_backing;
  if (image.has_backing) set_bytes(&q.backing_file, image.backing_name);
  q.backing_raw = image.has_backing && image.raw_backing;
  return emit_message(sink, arena, *message);
}

// qed_check()'s walk with fix = false: every L2 table the L1 table names and every data cluster
// they name must be valid and referenced once; clusters past the header nobody references are
// leaks. Cluster numbers are qed_bytes_to_clusters()'s (see header.h).
class Checker {
 public:
  Checker(Image& image, instar_guest_CheckResult& result, uint32_t* used, uint64_t nclusters)
      : image_(image), r_(result), used_(used), nclusters_(nclusters) {}

  Status run() {
    const Header& h = image_.header;
    const Geometry& g = image_.geometry;
    mark_used(h.l1_table_offset, h.table_size);
    for (uint64_t i = 0; i < g.table_nelems; ++i) {
      uint64_t l2 = 0;
      INSTAR_TRY(table_entry(*image_.l1, h.l1_table_offset, i, &l2));
      if (l2 == kUnallocated) continue;
      if (!valid_table_offset(h, g, l2)) {
        ++r_.corruptions;
        continue;
      }
      if (!mark_used(l2, h.table_size)) continue;  // a table named twice is walked once
      INSTAR_TRY(check_l2(l2));
    }
    for (uint64_t i = h.header_size; i < nclusters_; ++i) {
      if (!test(i)) ++r_.leaks;
    }
    return Status::Ok();
  }

 private:
  Status check_l2(uint64_t table) {
    const Header& h = image_.header;
    uint64_t last = 0;
    for (uint64_t i = 0; i < image_.geometry.table_nelems; ++i) {
      uint64_t offset = 0;
      INSTAR_TRY(table_entry(*image_.l2, table, i, &offset));
      if (offset == kUnallocated || offset == kZeroCluster) continue;
      ++r_.allocated_clusters;
      if (last != 0 && last + h.cluster_size != offset) ++r_.fragmented_clusters;
      last = offset;
      if (!valid_cluster_offset(h, image_.geometry, offset)) {
        ++r_.corruptions;
        continue;
      }
      mark_used(offset, 1);
    }
    return Status::Ok();
  }

  // qed_set_used_clusters(): false (and a corruption per cluster) for clusters already in use.
  bool mark_used(uint64_t offset, uint64_t n) {
    uint64_t cluster = bytes_to_clusters(image_.header, offset);
    uint64_t corruptions = 0;
    for (; n != 0; --n, ++cluster) {
      if (cluster >= nclusters_) continue;  // cannot happen for offsets validated against the file
      if (test(cluster)) ++corruptions;
      used_[cluster / 32] |= 1u << (cluster % 32);
    }
    r_.corruptions += corruptions;
    return corruptions == 0;
  }

  bool test(uint64_t cluster) const { return (used_[cluster / 32] >> (cluster % 32)) & 1u; }

  Image& image_;
  instar_guest_CheckResult& r_;
  uint32_t* used_;
  uint64_t nclusters_;
};

Status check(BlockSource& source, MessageSink& sink, Arena& arena) {
  Image image;
  instar_guest_GuestMessage* result =
      allocate_message(arena, instar_guest_GuestMessage_check_result_tag);
  Status opened = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  if (result != nullptr) opened = open_qed(source, arena, &image);
  if (!opened.ok()) {
    INSTAR_TRY(emit_error(sink, arena, opened, nullptr));
    return emit_done(sink, arena, 1);
  }
  instar_guest_CheckResult& r = result->body.check_result;
  r.format = instar_guest_Format_FORMAT_QED;
  const Header& h = image.header;
  const uint64_t nclusters = bytes_to_clusters(h, image.geometry.file_size);
  uint32_t* used = arena.allocate_array<uint32_t>((nclusters + 31) / 32);
  if (used == nullptr && nclusters != 0) {
    r.check_errors = 1;  // g_try_new0() failed: "Check failed: Cannot allocate memory"
    r.error_number = kEnomem;
    INSTAR_TRY(emit_message(sink, arena, *result));
    return emit_done(sink, arena, 0);
  }
  if (used != nullptr) fill_bytes(used, 0, (nclusters + 31) / 32 * 4);
  r.total_clusters = (h.image_size + h.cluster_size - 1) / h.cluster_size;
  INSTAR_TRY(Checker(image, r, used, nclusters).run());
  INSTAR_TRY(emit_message(sink, arena, *result));
  return emit_done(sink, arena, 0);
}

ImageDriver* new_image(Arena& arena) {
  void* memory = arena.allocate(sizeof(QedDriver), alignof(QedDriver));
  return memory == nullptr ? nullptr : new (memory) QedDriver();
}

}  // namespace

Status open_qed(BlockSource& source, Arena& arena, Image* image) {
  uint8_t bytes[kHeaderBytes];
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(bytes, kHeaderBytes)));
  image->header = decode_header(Bytes(bytes, kHeaderBytes));
  INSTAR_TRY(validate(image->header, source.size(), &image->geometry));
  image->source = &source;
  const Header& h = image->header;
  if ((h.features & kFeatureBackingFile) != 0) {
    // qed_read_string(): the stored bytes (zeros past EOF), then C-string semantics.
    uint8_t* name = arena.allocate_array<uint8_t>(h.backing_filename_size + 1);
    if (name == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
    INSTAR_TRY(read_zero_filled(source, h.backing_filename_offset,
                                MutableBytes(name, h.backing_filename_size)));
    uint64_t n = 0;
    while (n < h.backing_filename_size && name[n] != 0) ++n;
    image->backing_name = Bytes(name, n);
    image->has_backing = n != 0;
    image->raw_backing = (h.features & kFeatureBackingNoProbe) != 0;
  }
  image->l1 = new_reader(source, arena);
  image->l2 = new_reader(source, arena);
  if (image->l1 == nullptr || image->l2 == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  return Status::Ok();
}

Status find_cluster(Image& image, uint64_t pos, uint64_t* len, ClusterKind* kind,
                    uint64_t* offset) {
  const Header& h = image.header;
  const Geometry& g = image.geometry;
  // Requests stop at the end of the guest range one L2 table maps.
  const uint64_t l2_end = ((pos >> g.l1_shift) + 1) << g.l1_shift;
  *len = min64(*len, l2_end - pos);
  *offset = 0;
  uint64_t l2 = 0;
  INSTAR_TRY(table_entry(*image.l1, h.l1_table_offset, pos >> g.l1_shift, &l2));
  if (l2 == kUnallocated) {
    *kind = ClusterKind::kL1;
    return Status::Ok();
  }
  if (!valid_table_offset(h, g, l2)) return Status(instar_guest_ErrorCode_ERROR_QED_INVALID_OFFSET);
  const uint64_t cluster_mask = h.cluster_size - 1;
  const uint64_t in_cluster = pos & cluster_mask;
  const uint64_t index = (pos >> g.l2_shift) & (g.table_nelems - 1);
  // qed_count_contiguous_clusters(): a run of unallocated, zero or consecutive data clusters, no
  // further than qemu's (generous) qed_bytes_to_clusters() count nor the table's end.
  const uint64_t end = min64(index + bytes_to_clusters(h, in_cluster + *len), g.table_nelems);
  uint64_t first = 0;
  INSTAR_TRY(table_entry(*image.l2, l2, index, &first));
  uint64_t last = first;
  uint64_t i = index + 1;
  for (; i < end; ++i) {
    uint64_t entry = 0;
    INSTAR_TRY(table_entry(*image.l2, l2, i, &entry));
    if (last == kUnallocated || last == kZeroCluster) {
      if (entry != last) break;
    } else {
      if (entry != last + h.cluster_size) break;
      last = entry;
    }
  }
  if (first == kUnallocated) {
    *kind = ClusterKind::kL2;
  } else if (first == kZeroCluster) {
    *kind = ClusterKind::kZero;
  } else if (valid_cluster_offset(h, g, first)) {
    *kind = ClusterKind::kFound;
  } else {
    return Status(instar_guest_ErrorCode_ERROR_QED_INVALID_OFFSET);
  }
  *len = min64(*len, (i - index) * h.cluster_size - in_cluster);
  *offset = first;
  return Status::Ok();
}

const FormatDriver kQedDriver = {
    .format = abi::ImageFormat::kQed,
    .info_format = instar_guest_Format_FORMAT_QED,
    .name = "qed",
    .probe = probe,
    .unsupported = instar_guest_ErrorCode_ERROR_NONE,
    .new_image = new_image,
    .describe = describe,
    .check = check,
    .new_writer = nullptr,
};

Status QedDriver::open(BlockSource& source, const OpenContext& context, Arena& arena) {
  if (context.data_file != nullptr) return Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG);
  INSTAR_TRY(open_qed(source, arena, &image_));
  if (image_.has_backing && !context.chained) {
    return Status(instar_guest_ErrorCode_ERROR_BACKING_FILE_NOT_SUPPORTED);
  }
  return Status::Ok();
}

// bdrv_qed_co_block_status(): data clusters with their file offset, zero clusters as ZERO, the
// rest unallocated (the generic layer looks at the backing file).
Status QedDriver::block_status(uint64_t offset, uint64_t bytes, BlockStatus* out) {
  uint64_t len = bytes;
  ClusterKind kind = ClusterKind::kL1;
  uint64_t host = 0;
  INSTAR_TRY(find_cluster(image_, offset, &len, &kind, &host));
  BlockStatus s;
  s.bytes = len;
  if (kind == ClusterKind::kFound) {
    s.flags = kBlockData | kBlockOffsetValid;
    s.host_offset = host | (offset & (image_.header.cluster_size - 1));
  } else if (kind == ClusterKind::kZero) {
    s.flags = kBlockZero;
  }
  *out = s;
  return Status::Ok();
}

// qed_aio_next_io() / qed_aio_read_data(): run by run; data from the file (zeros past its end),
// zero clusters as zeros, unallocated ones from the backing file (zeros without one or past its
// end).
Status QedDriver::read(uint64_t offset, MutableBytes out) {
  uint64_t done = 0;
  while (done < out.size) {
    const uint64_t pos = offset + done;
    uint64_t len = out.size - done;
    ClusterKind kind = ClusterKind::kL1;
    uint64_t host = 0;
    INSTAR_TRY(find_cluster(image_, pos, &len, &kind, &host));
    MutableBytes piece = out.sub(done, len);
    if (kind == ClusterKind::kFound) {
      const uint64_t at = host + (pos & (image_.header.cluster_size - 1));
      INSTAR_TRY(read_zero_filled(*image_.source, at, piece));
    } else if (kind == ClusterKind::kZero || backing_ == nullptr) {
      fill_bytes(piece.data, 0, piece.size);
    } else {
      INSTAR_TRY(backing_->read_backing(pos, piece));
    }
    done += len;
  }
  return Status::Ok();
}

}  // namespace instar::qed
