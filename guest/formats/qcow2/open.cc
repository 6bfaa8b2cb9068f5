// open.cc: the qcow2 open sequence (qcow2_do_open order) over a BlockSource.
#include "guest/formats/qcow2/open.h"

#include "guest/formats/luks/header.h"
#include "guest/formats/qcow2/bitmap_directory.h"
#include "guest/formats/qcow2/feature_bits.h"
#include "guest/formats/qcow2/feature_names.h"
#include "guest/formats/qcow2/limits.h"
#include "guest/formats/qcow2/snapshot_table.h"
#include "guest/lib/mem.h"

namespace instar::qcow2 {

namespace {

// Covers header, extensions and backing name of images with clusters up to 64 KiB in one read.
constexpr uint64_t kInitialReadSize = 128 * 1024;

Status fail(instar_guest_ErrorCode code) {
  return Status(code);
}

// Bytes of the image the header area spans: the extensions (plus the 8-byte extension header
// qemu reads at the last offset below the end) and the backing file name.
uint64_t header_area_size(const Header& h) {
  uint64_t size = h.extensions_end() + 8;
  if (h.backing_file_offset != 0) {
    const uint64_t name_end = h.backing_file_offset + kMaxBackingFileNameSize;
    if (name_end > size) size = name_end;
  }
  return size;
}

Status check_backing_file_name(const Header& h, Bytes area, Metadata* out) {
  if (h.backing_file_offset == 0) return Status::Ok();
  const uint64_t room = h.cluster_size() - h.backing_file_offset;
  const uint64_t limit = room < kMaxBackingFileNameSize ? room : kMaxBackingFileNameSize;
  if (h.backing_file_size > limit || h.backing_file_size >= kMaxBackingFileNameSize + 1) {
    return fail(instar_guest_ErrorCode_ERROR_BACKING_NAME_TOO_LONG);
  }
  out->has_backing_file = true;
  out->backing_file = until_nul(area.sub(h.backing_file_offset, h.backing_file_size));
  return Status::Ok();
}

Status check_bitmap_directory(const Metadata& m, const TableScratch& tables,
                              OpenErrorDetail* detail) {
  const HeaderExtensions& e = m.extensions;
  if (e.nb_bitmaps == 0) return Status::Ok();
  BitmapDirectoryReader bitmaps(*tables.reader, e.bitmap_directory_offset, e.bitmap_directory_size,
                                e.nb_bitmaps, m.header.cluster_size(), m.header.virtual_size(),
                                tables.names);
  INSTAR_TRY(bitmaps.start());
  Bitmap bitmap;
  while (!bitmaps.at_end()) {
    const Status status = bitmaps.next(&bitmap);
    if (status.code() == instar_guest_ErrorCode_ERROR_BITMAP_CONSTRAINTS) {
      detail->set_name(bitmaps.constraint_failure_name());
    }
    INSTAR_TRY(status);
  }
  return bitmaps.finish();
}

// qcrypto_block_luks_open() over qcow2_crypto_hdr_read_func(): the key comes first (unless
// BDRV_O_NO_IO), then the header, which must lie inside the extension's length.
class LuksHeaderOpener final : public CryptoHeaderOpener {
 public:
  LuksHeaderOpener(BlockSource& source, CryptoAccess access, OpenErrorDetail* names)
      : source_(source), access_(access), names_(names) {}

  Status open(uint64_t offset, uint64_t length, luks::Header* out) override {
    if (access_ == CryptoAccess::kKeyRequired) {
      return Status(instar_guest_ErrorCode_ERROR_ENCRYPTION_KEY_REQUIRED);
    }
    if (length < luks::kHeaderSize) {
      return Status(instar_guest_ErrorCode_ERROR_LUKS_OUTSIDE_EXTENSION);
    }
    uint8_t raw[luks::kHeaderSize];
    INSTAR_TRY(read_zero_filled(source_, offset, MutableBytes(raw, sizeof(raw))));
    return luks::decode_header(Bytes(raw, sizeof(raw)), out, names_);
  }

 private:
  BlockSource& source_;
  CryptoAccess access_;
  OpenErrorDetail* names_;
};

// The encryption methods that need no header extension, after the data file (qcow2_do_open):
// AES asks for its key; LUKS without its extension is an error unless opened with NO_IO.
Status check_encryption_without_header(const Header& h, const HeaderExtensions& e,
                                       CryptoAccess access) {
  if (h.crypt_method == kCryptNone || e.has_luks || access == CryptoAccess::kHeaderOnly) {
    return Status::Ok();
  }
  if (h.crypt_method == kCryptAes) {
    return Status(instar_guest_ErrorCode_ERROR_ENCRYPTION_KEY_REQUIRED);
  }
  return Status(instar_guest_ErrorCode_ERROR_CRYPTO_HEADER_MISSING, h.crypt_method);
}

}  // namespace

Status read_snapshot_table(const Header& h, const TableScratch& tables) {
  SnapshotTableReader snapshots(*tables.reader, h.snapshots_offset, h.nb_snapshots, tables.names);
  Snapshot snapshot;
  while (!snapshots.done()) INSTAR_TRY(snapshots.next(&snapshot));
  return Status::Ok();
}

Status open_image(BlockSource& source, Arena& arena, const TableScratch& tables, Metadata* out,
                  OpenErrorDetail* detail, OpenMode mode, CryptoAccess crypto) {
  uint64_t area_size = kInitialReadSize;
  auto* area = arena.allocate_array<uint8_t>(area_size);
  if (area == nullptr) return fail(instar_guest_ErrorCode_ERROR_INTERNAL);
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(area, area_size)));

  Metadata m;
  m.header = decode_header(area);
  const Header& h = m.header;
  INSTAR_TRY(check_header_basics(h));

  // Cluster 0 may be larger than the first read (clusters of 256 KiB and up): read it whole.
  if (header_area_size(h) > area_size) {
    area_size = header_area_size(h);
    area = arena.allocate_array<uint8_t>(area_size);
    if (area == nullptr) return fail(instar_guest_ErrorCode_ERROR_INTERNAL);
    INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(area, area_size)));
  }
  const Bytes header_area(area, area_size);

  ExtensionContext context;
  context.version = h.version;
  context.cluster_size = h.cluster_size();
  context.autoclear_features = h.autoclear_features;

  const uint64_t unknown = h.incompatible_features & ~kIncompatKnownMask;
  if (unknown != 0) {
    // qemu looks for a feature-name table first, ignoring extension errors; crypt_method is not
    // known to it yet, so a crypto extension ends that walk.
    HeaderExtensions early;
    (void)parse_header_extensions(header_area, h.header_length, h.extensions_end(), context,
                                  &early);
    const uint64_t unnamed = collect_unsupported_features(early.feature_table, unknown, detail);
    return Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_FEATURES, unnamed);
  }

  INSTAR_TRY(check_header_layout(h, mode));

  context.crypt_method = h.crypt_method;
  LuksHeaderOpener luks_opener(source, crypto, detail);
  context.crypto = &luks_opener;
  INSTAR_TRY(parse_header_extensions(header_area, h.header_length, h.extensions_end(), context,
                                     &m.extensions));

  if (mode == OpenMode::kNoIo) {
    // No data file is opened, so nothing about one can be refused.
  } else if ((h.incompatible_features & kIncompatDataFile) != 0) {
    // The host opens the named data file; without a name qemu has nothing to open.
    if (!m.extensions.has_data_file) return fail(instar_guest_ErrorCode_ERROR_DATA_FILE_REQUIRED);
  } else if ((h.autoclear_features & kAutoclearDataFileRaw) != 0) {
    return fail(instar_guest_ErrorCode_ERROR_DATA_FILE_RAW_WITHOUT_DATA_FILE);
  }
  INSTAR_TRY(check_encryption_without_header(h, m.extensions, crypto));

  INSTAR_TRY(check_backing_file_name(h, header_area, &m));
  if (mode != OpenMode::kCheck) INSTAR_TRY(read_snapshot_table(h, tables));
  INSTAR_TRY(check_bitmap_directory(m, tables, detail));
  // qemu's block layer then keeps the size in 512-byte sectors in an int64_t and fails the open
  // of any driver whose size does not fit (block.c bdrv_refresh_total_sectors: -EFBIG). Without
  // this every op would go on to walk up to 2^64 bytes of virtual disk.
  if (h.size / 512 > static_cast<uint64_t>(kInt64Max) / 512) {
    return fail(instar_guest_ErrorCode_ERROR_TOTAL_SECTORS_OVERFLOW);
  }
  *out = m;
  return Status::Ok();
}

}  // namespace instar::qcow2
