// header_writer.cc: qcow2_update_header()'s layout of the first cluster.
#include "guest/formats/qcow2/header_writer.h"

#include "guest/formats/qcow2/limits.h"
#include "guest/lib/mem.h"

namespace instar::qcow2 {

namespace {

constexpr uint32_t kExtBackingFormat = 0xe2792aca;
constexpr uint32_t kExtDataFile = 0x44415441;
constexpr uint32_t kExtFeatureTable = 0x6803f857;
constexpr uint32_t kExtCryptoHeader = 0x0537be77;
constexpr uint32_t kExtBitmaps = 0x23852875;
constexpr uint32_t kFeatureNameSize = 46;

// The eight Qcow2Feature entries qemu 7.2 always writes, in its order.
struct Feature {
  uint8_t type;
  uint8_t bit;
  const char* name;
};
constexpr Feature kFeatures[] = {
    {0, 0, "dirty bit"},        {0, 1, "corrupt bit"},         {0, 2, "external data file"},
    {0, 3, "compression type"}, {0, 4, "extended L2 entries"}, {1, 0, "lazy refcounts"},
    {2, 0, "bitmaps"},          {2, 1, "raw external data"},
};

Status no_space() {
  return Status(instar_guest_ErrorCode_ERROR_CREATE_HEADER_NO_SPACE);
}

// header_ext_add(): {magic, len, data padded to 8}; the padding stays zero.
class ExtensionWriter {
 public:
  explicit ExtensionWriter(MutableBytes out, uint64_t pos) : out_(out), pos_(pos) {}

  // Reserves `bytes` (whole extensions) and returns where they go.
  Result<uint8_t*> reserve(uint64_t bytes) {
    if (out_.size - pos_ < bytes) return no_space();
    uint8_t* start = out_.data + pos_;
    pos_ += bytes;
    return start;
  }
  // Reserves room for an extension of `len` data bytes and returns where the data goes.
  Result<uint8_t*> add(uint32_t magic, uint64_t len) {
    Result<uint8_t*> ext = reserve(8 + ((len + 7) & ~uint64_t{7}));
    if (!ext.ok()) return ext;
    store_be32(ext.value(), magic);
    store_be32(ext.value() + 4, static_cast<uint32_t>(len));
    return ext.value() + 8;
  }
  Status add_bytes(uint32_t magic, Bytes bytes) {
    Result<uint8_t*> r = add(magic, bytes.size);
    if (!r.ok()) return r.status();
    if (bytes.size != 0) copy_bytes(r.value(), bytes.data, bytes.size);
    return Status::Ok();
  }
  uint64_t pos() const { return pos_; }

 private:
  MutableBytes out_;
  uint64_t pos_;
};

// The extensions of `area` whose magic qcow2_read_extensions() does not know, walked as it walks
// them (the open already refused an extension that overruns the area): `visit(magic, data)`.
template <typename Visit>
void for_each_unknown_extension(Bytes area, Visit&& visit) {
  uint64_t offset = 0;
  while (area.size - offset >= 8) {
    const uint32_t magic = load_be32(area.data + offset);
    const uint32_t length = load_be32(area.data + offset + 4);
    offset += 8;
    if (magic == 0 || length > area.size - offset) return;
    switch (magic) {
      case kExtBackingFormat:
      case kExtDataFile:
      case kExtFeatureTable:
      case kExtCryptoHeader:
      case kExtBitmaps:
        break;
      default:
        visit(magic, Bytes(area.data + offset, length));
    }
    offset += (uint64_t{length} + 7) & ~uint64_t{7};
  }
}

// The kept unknown extensions, last first, as qemu's list holds them.
Status add_kept_extensions(Bytes area, ExtensionWriter& ext) {
  uint64_t total = 0;
  for_each_unknown_extension(
      area, [&](uint32_t, Bytes data) { total += 8 + ((data.size + 7) & ~uint64_t{7}); });
  if (total == 0) return Status::Ok();
  Result<uint8_t*> block = ext.reserve(total);
  if (!block.ok()) return block.status();
  uint8_t* end = block.value() + total;
  for_each_unknown_extension(area, [&](uint32_t magic, Bytes data) {
    end -= 8 + ((data.size + 7) & ~uint64_t{7});
    store_be32(end, magic);
    store_be32(end + 4, static_cast<uint32_t>(data.size));
    if (data.size != 0) copy_bytes(end + 8, data.data, data.size);
  });
  return Status::Ok();
}

}  // namespace

Status build_header_cluster(const HeaderFields& f, MutableBytes out) {
  if (out.size < kHeaderSize) return no_space();
  fill_bytes(out.data, 0, out.size);
  uint8_t* h = out.data;
  store_be32(h + 0, kMagic);
  store_be32(h + 4, f.version);
  store_be32(h + 20, f.cluster_bits);
  store_be64(h + 24, f.size);
  store_be32(h + 32, kCryptNone);
  store_be32(h + 36, f.l1_size);
  store_be64(h + 40, f.l1_table_offset);
  store_be64(h + 48, f.refcount_table_offset);
  store_be32(h + 56, f.refcount_table_clusters);
  store_be32(h + 60, f.nb_snapshots);
  store_be64(h + 64, f.snapshots_offset);
  uint64_t header_length = kV2HeaderLength;
  if (f.version >= 3) {
    header_length = kHeaderSize;
    store_be64(h + 72, f.incompatible_features);
    store_be64(h + 80, f.compatible_features);
    store_be64(h + 88, f.autoclear_features);
    store_be32(h + 96, f.refcount_order);
    store_be32(h + 100, static_cast<uint32_t>(kHeaderSize));
    h[104] = f.compression_type;
  }

  ExtensionWriter ext(out, header_length);
  if (f.backing_format.data != nullptr)
    INSTAR_TRY(ext.add_bytes(kExtBackingFormat, f.backing_format));
  if (f.data_file.data != nullptr) INSTAR_TRY(ext.add_bytes(kExtDataFile, f.data_file));
  // qemu leaves the table out for clusters of 4k and less to keep room for a backing name.
  if (f.version >= 3 && (uint64_t{1} << f.cluster_bits) > 4096) {
    constexpr uint64_t kEntry = 2 + kFeatureNameSize;
    Result<uint8_t*> table =
        ext.add(kExtFeatureTable, sizeof(kFeatures) / sizeof(kFeatures[0]) * kEntry);
    if (!table.ok()) return table.status();
    uint8_t* p = table.value();
    for (const Feature& feature : kFeatures) {
      p[0] = feature.type;
      p[1] = feature.bit;
      for (uint32_t i = 0; feature.name[i] != '\0'; ++i)
        p[2 + i] = static_cast<uint8_t>(feature.name[i]);
      p += kEntry;
    }
  }
  INSTAR_TRY(add_kept_extensions(f.kept_extensions, ext));
  INSTAR_TRY(ext.add_bytes(0, Bytes()));  // end of extensions

  if (f.backing_file.data != nullptr) {
    const uint64_t pos = ext.pos();
    if (out.size - pos < f.backing_file.size) return no_space();
    copy_bytes(out.data + pos, f.backing_file.data, f.backing_file.size);
    store_be64(h + 8, pos);
    store_be32(h + 16, static_cast<uint32_t>(f.backing_file.size));
  }
  return Status::Ok();
}

}  // namespace instar::qcow2
