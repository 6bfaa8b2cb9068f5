// qemu 7.2's ImageInfo as qemu-img info builds it, from guest messages plus host facts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/render/qdict.h"
#include "guest/abi/guest.pb.h"

namespace instar::render {

// QAPI QCryptoBlockInfoLUKSSlot / QCryptoBlockInfoLUKS (qapi/crypto.json). guest.proto does not
// carry these yet; whoever decodes them fills DecodedImage::luks.
struct LuksSlotInfo {
  bool active = false;
  std::optional<int64_t> iters;    // active slots only
  std::optional<int64_t> stripes;  // active slots only
  int64_t key_offset = 0;
};

struct LuksInfo {
  std::string cipher_alg;                     // "aes-256"
  std::string cipher_mode;                    // "xts"
  std::string ivgen_alg;                      // "plain64"
  std::optional<std::string> ivgen_hash_alg;  // only for essiv
  std::string hash_alg;                       // "sha256"
  int64_t payload_offset = 0;
  int64_t master_key_iters = 0;
  std::string uuid;
  std::vector<LuksSlotInfo> slots;
};

// What the channel decoded for one image: the ImageInfo message and the Snapshot / Bitmap
// messages that followed it.
struct DecodedImage {
  guest::ImageInfo info;
  std::vector<guest::Snapshot> snapshots;
  std::vector<guest::Bitmap> bitmaps;
  std::optional<LuksInfo> luks;  // crypt_method 2; without it only "format: luks" is shown
};

// What only the host knows.
struct HostFacts {
  std::string filename;                // as given on the command line (or resolved from a parent)
  std::optional<int64_t> actual_size;  // st_blocks * 512; nullopt prints "unavailable"
  // The resolved backing path. nullopt: derived with FullBackingFilename(filename, backing).
  std::optional<std::string> full_backing_filename;
};

// QAPI SnapshotInfo (7.2 members).
struct SnapshotInfo {
  std::string id;
  std::string name;
  int64_t vm_state_size = 0;
  int64_t date_sec = 0;
  int64_t date_nsec = 0;
  int64_t vm_clock_sec = 0;
  int64_t vm_clock_nsec = 0;
  std::optional<int64_t> icount;
};

// QAPI ImageInfo (7.2 members qemu-img info sets; "compressed" and "backing-image" never are).
struct ImageInfo {
  std::string filename;
  std::string format;
  std::optional<bool> dirty_flag;
  std::optional<int64_t> actual_size;
  int64_t virtual_size = 0;
  std::optional<int64_t> cluster_size;
  std::optional<bool> encrypted;
  std::optional<std::string> backing_filename;
  std::optional<std::string> full_backing_filename;
  std::optional<std::string> backing_filename_format;
  std::optional<std::vector<SnapshotInfo>> snapshots;
  // ImageInfoSpecific as visited: {"type": ..., "data": {...}}.
  std::optional<QObject> format_specific;
};

// Builds the ImageInfo qemu 7.2's bdrv_query_image_info() would. nullopt when the messages are
// inconsistent in a way qemu could never report (unknown format, qcow2 version or compression
// type): the guest should have sent an Error instead.
std::optional<ImageInfo> BuildImageInfo(const DecodedImage& image, const HostFacts& facts);

// The QAPI visit of ImageInfo into a QDict (members inserted in schema order).
QObject ImageInfoToQObject(const ImageInfo& info);

}  // namespace instar::render
