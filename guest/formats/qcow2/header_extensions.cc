// header_extensions.cc: the header extension walk with qemu 7.2's rules and error order.
#include "guest/formats/qcow2/header_extensions.h"

#include "guest/formats/qcow2/limits.h"

namespace instar::qcow2 {

namespace {

Status parse_bitmaps_extension(Bytes data, const ExtensionContext& context, HeaderExtensions* out) {
  if (data.size != kBitmapsExtensionSize) {
    return Status(instar_guest_ErrorCode_ERROR_BITMAPS_EXT_INVALID_LENGTH);
  }
  if ((context.autoclear_features & 1) == 0) {
    // The directory may be stale: qemu warns, ignores it and (read-write) drops the extension.
    out->bitmaps_ignored = true;
    return Status::Ok();
  }
  if (load_be32(data.data + 4) != 0) {
    return Status(instar_guest_ErrorCode_ERROR_BITMAPS_EXT_RESERVED_NONZERO);
  }
  const uint32_t nb_bitmaps = load_be32(data.data);
  const uint64_t directory_size = load_be64(data.data + 8);
  const uint64_t directory_offset = load_be64(data.data + 16);
  if (nb_bitmaps > kMaxBitmaps) {
    return Status(instar_guest_ErrorCode_ERROR_BITMAPS_TOO_MANY, nb_bitmaps, kMaxBitmaps);
  }
  if (nb_bitmaps == 0) return Status(instar_guest_ErrorCode_ERROR_BITMAPS_ZERO);
  if ((directory_offset & (context.cluster_size - 1)) != 0) {
    return Status(instar_guest_ErrorCode_ERROR_BITMAP_DIRECTORY_OFFSET_INVALID);
  }
  if (directory_size > kMaxBitmapDirectorySize) {
    return Status(instar_guest_ErrorCode_ERROR_BITMAP_DIRECTORY_TOO_LARGE, directory_size,
                  kMaxBitmapDirectorySize);
  }
  out->nb_bitmaps = nb_bitmaps;
  out->bitmap_directory_size = directory_size;
  out->bitmap_directory_offset = directory_offset;
  return Status::Ok();
}

Status parse_crypto_extension(Bytes data, const ExtensionContext& context, HeaderExtensions* out) {
  if (context.crypt_method != kCryptLuks) {
    return Status(instar_guest_ErrorCode_ERROR_CRYPTO_HEADER_UNEXPECTED);
  }
  if (data.size != kCryptoHeaderExtensionSize) {
    return Status(instar_guest_ErrorCode_ERROR_CRYPTO_HEADER_SIZE, data.size,
                  kCryptoHeaderExtensionSize);
  }
  const uint64_t offset = load_be64(data.data);
  if (offset % context.cluster_size != 0) {
    return Status(instar_guest_ErrorCode_ERROR_CRYPTO_HEADER_OFFSET_MISALIGNED, offset,
                  context.cluster_size);
  }
  out->has_crypto_header = true;
  out->crypto_header_offset = offset;
  out->crypto_header_length = load_be64(data.data + 8);
  if (context.crypto != nullptr) {
    INSTAR_TRY(context.crypto->open(offset, out->crypto_header_length, &out->luks));
    out->has_luks = true;
  }
  return Status::Ok();
}

}  // namespace

Status parse_header_extensions(Bytes area, uint64_t start, uint64_t end,
                               const ExtensionContext& context, HeaderExtensions* out) {
  if (end > area.size || area.size - end < 8) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  uint64_t offset = start;
  while (offset < end) {
    const uint32_t magic = load_be32(area.data + offset);
    const uint32_t length = load_be32(area.data + offset + 4);
    offset += 8;
    if (offset > end || length > end - offset) {
      return Status(instar_guest_ErrorCode_ERROR_HEADER_EXTENSION_TOO_LARGE);
    }
    const Bytes data = area.sub(offset, length);
    switch (magic) {
      case kExtensionEnd:
        return Status::Ok();
      case kExtensionBackingFormat:
        if (length >= kBackingFormatBufferSize) {
          return Status(instar_guest_ErrorCode_ERROR_BACKING_FORMAT_TOO_LONG, length,
                        kBackingFormatBufferSize);
        }
        out->has_backing_format = true;
        out->backing_format = until_nul(data);
        break;
      case kExtensionFeatureTable:
        out->has_feature_table = true;
        out->feature_table = data;
        break;
      case kExtensionCryptoHeader:
        INSTAR_TRY(parse_crypto_extension(data, context, out));
        break;
      case kExtensionBitmaps:
        INSTAR_TRY(parse_bitmaps_extension(data, context, out));
        break;
      case kExtensionDataFile:
        out->has_data_file = true;
        out->data_file = until_nul(data);
        break;
      default:
        break;  // unknown: qemu keeps it for header rewrites; nothing to report
    }
    offset += (uint64_t{length} + 7) & ~uint64_t{7};
  }
  return Status::Ok();
}

}  // namespace instar::qcow2
