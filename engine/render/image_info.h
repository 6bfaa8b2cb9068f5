// qemu 7.2's ImageInfo as qemu-img info builds it, from guest messages plus host facts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/render/block_limits.h"
#include "engine/render/profile.h"
#include "engine/render/qdict.h"
#include "guest/abi/guest.pb.h"

namespace instar::render {

// QAPI QCryptoBlockInfoLUKSSlot / QCryptoBlockInfoLUKS (qapi/crypto.json), from the guest's
// LuksInfo (LuksInfoFromGuest).
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

// The guest's LuksInfo with qemu's names for its algorithms; the channel checked its values
// (field_caps.cc), unknown ones read as "".
LuksInfo LuksInfoFromGuest(const guest::LuksInfo& luks);

// What the channel decoded for one image: the ImageInfo message and the Snapshot / Bitmap
// messages that followed it.
struct DecodedImage {
  guest::ImageInfo info;
  std::vector<guest::Snapshot> snapshots;
  std::vector<guest::Bitmap> bitmaps;
  std::optional<LuksInfo> luks;  // crypt_method 2; without it only "format: luks" is shown
};

// A file as qemu's "file" protocol driver sees it (8.0+ show these as child nodes).
struct ProtocolFacts {
  std::string filename;                // as qemu opened it
  int64_t length = 0;                  // st_size
  std::optional<int64_t> actual_size;  // st_blocks * 512
};

// What only the host knows.
struct HostFacts {
  std::string filename;                // as given on the command line (or resolved from a parent)
  std::optional<int64_t> actual_size;  // st_blocks * 512; nullopt prints "unavailable"
  // The resolved backing path. nullopt: derived with FullBackingFilename(filename, backing).
  std::optional<std::string> full_backing_filename;
  // st_size of the image file: the "file" child's length (profiles with info_child_nodes).
  std::optional<int64_t> file_length;
  // The external data file, stat()ed by the host when the profile opens it (DataFileToOpen).
  std::optional<ProtocolFacts> data_file;
  // info --limits (profiles with info_limits): the host facts the limits derive from; nullopt
  // when limits were not asked for.
  std::optional<HostBlockFacts> limits_host;
  // The format was probed rather than given (-f, or the parent's backing format): raw then
  // restricts requests to 512 bytes (block/raw-format.c).
  bool format_probed = false;
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

struct ChildNode;

// QAPI ImageInfo (7.2 members qemu-img info sets; "compressed" and "backing-image" never are),
// plus BlockGraphInfo's "children" (8.0+).
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
  // BlockNodeInfo "limits" (10.2 info --limits), for the image and for each child node.
  std::optional<BlockLimits> limits;
  // ImageInfoSpecific as visited: {"type": ..., "data": {...}}.
  std::optional<QObject> format_specific;
  // BlockGraphInfo children (8.0+ profiles), in qemu's bs->children order; nullopt before 8.0.
  std::optional<std::vector<ChildNode>> children;
};

// QAPI BlockChildInfo: a child's role name ("file", "data-file") and its node's info.
struct ChildNode {
  std::string name;
  ImageInfo info;
};

// Builds the ImageInfo qemu 7.2's bdrv_query_image_info() would. nullopt when the messages are
// inconsistent in a way qemu could never report (unknown format, qcow2 version or compression
// type): the guest should have sent an Error instead.
std::optional<ImageInfo> BuildImageInfo(const DecodedImage& image, const HostFacts& facts);

// The same for `profile`: with info_child_nodes the image gets its child nodes (data-file when
// the profile opens it and facts.data_file is known, then file) and, like qemu's
// bdrv_sum_allocated_file_size(), an actual size summed over them. With info_limits and
// facts.limits_host every node gets its block limits (engine/render/block_limits.h).
std::optional<ImageInfo> BuildImageInfo(const DecodedImage& image, const HostFacts& facts,
                                        const Profile& profile);

// The data file name the host must stat() for `profile` (qemu opens it relative to the working
// directory), or nullopt when this profile's info leaves it closed or the image has none.
std::optional<std::string> DataFileToOpen(const DecodedImage& image, const Profile& profile);

// The QAPI visit of ImageInfo into a QDict (members inserted in schema order).
QObject ImageInfoToQObject(const ImageInfo& info);

}  // namespace instar::render
