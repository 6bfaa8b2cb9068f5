// limits.h: qcow2 constants and the limits qemu 7.2 enforces when opening an image (block/qcow2.h).
#pragma once

#include <stdint.h>

namespace instar::qcow2 {

inline constexpr uint32_t kMagic = 0x514649fb;  // "QFI\xfb"
inline constexpr uint64_t kHeaderSize =
    112;  // sizeof(QCowHeader): the v3 header incl. compression type
inline constexpr uint32_t kV2HeaderLength = 72;
inline constexpr uint32_t kMinV3HeaderLength = 104;  // v3 without the compression type byte
inline constexpr uint64_t kCompressionTypeOffset = 104;

inline constexpr uint32_t kMinClusterBits = 9;                // MIN_CLUSTER_BITS
inline constexpr uint32_t kMaxClusterBits = 21;               // MAX_CLUSTER_BITS
inline constexpr uint32_t kMaxRefcountOrder = 6;              // 64-bit refcounts
inline constexpr uint64_t kMaxL1SizeBytes = 0x2000000;        // QCOW_MAX_L1_SIZE (32 MiB)
inline constexpr uint64_t kMaxRefcountTableBytes = 0x800000;  // QCOW_MAX_REFTABLE_SIZE (8 MiB)
inline constexpr uint64_t kL1EntrySize = 8;                   // L1E_SIZE
inline constexpr uint32_t kExtendedL2Subclusters = 32;        // QCOW_EXTL2_SUBCLUSTERS_PER_CLUSTER

inline constexpr uint32_t kMaxSnapshots = 65536;         // QCOW_MAX_SNAPSHOTS
inline constexpr uint64_t kSnapshotHeaderSize = 40;      // sizeof(QCowSnapshotHeader)
inline constexpr uint32_t kMaxSnapshotExtraData = 1024;  // QCOW_MAX_SNAPSHOT_EXTRA_DATA
inline constexpr uint64_t kMaxSnapshotsSize = 1024ull * kMaxSnapshots;  // QCOW_MAX_SNAPSHOTS_SIZE
inline constexpr uint64_t kSnapshotExtraDataSize = 24;  // sizeof(QCowSnapshotExtraData)

inline constexpr uint32_t kMaxBackingFileNameSize = 1023;  // MIN(1023, ...) in qcow2_do_open
inline constexpr uint32_t kBackingFormatBufferSize = 16;   // sizeof(bs->backing_format)

inline constexpr uint32_t kMaxBitmaps = 65535;  // QCOW2_MAX_BITMAPS
inline constexpr uint64_t kMaxBitmapDirectorySize =
    1024ull * kMaxBitmaps;                                  // QCOW2_MAX_BITMAP_DIRECTORY_SIZE
inline constexpr uint32_t kBitmapsExtensionSize = 24;       // sizeof(Qcow2BitmapHeaderExt)
inline constexpr uint32_t kCryptoHeaderExtensionSize = 16;  // sizeof(Qcow2CryptoHeaderExtension)

inline constexpr int64_t kInt64Max = 0x7fffffffffffffffll;
inline constexpr uint64_t kIntMax = 0x7fffffff;

// crypt_method values qemu knows.
inline constexpr uint32_t kCryptNone = 0;
inline constexpr uint32_t kCryptAes = 1;
inline constexpr uint32_t kCryptLuks = 2;

// compression_type values qemu 7.2 (built with zstd, as Debian's) accepts.
inline constexpr uint8_t kCompressionZlib = 0;
inline constexpr uint8_t kCompressionZstd = 1;

}  // namespace instar::qcow2
