// Builds qemu 7.2's ImageInfo (and its qcow2 format-specific part) and visits it into QDicts.
#include "engine/render/image_info.h"

#include <cstring>
#include <initializer_list>
#include <utility>

#include "engine/render/backing_path.h"

namespace instar::render {
namespace {

// qemu keeps these names in C strings: whatever follows an embedded NUL is never seen.
std::string CString(const std::string& s) {
  return std::string(s.c_str(), std::strlen(s.c_str()));
}

// qcow2 header bits qemu consults for info (docs/interop/qcow2.txt).
constexpr uint64_t kIncompatDirty = 1u << 0;
constexpr uint64_t kIncompatCorrupt = 1u << 1;
constexpr uint64_t kIncompatDataFile = 1u << 2;
constexpr uint64_t kIncompatExtendedL2 = 1u << 4;
constexpr uint64_t kCompatLazyRefcounts = 1u << 0;
constexpr uint64_t kAutoclearDataFileRaw = 1u << 1;
constexpr uint32_t kBitmapInUse = 1u << 0;
constexpr uint32_t kBitmapAuto = 1u << 1;

// QAPI Qcow2CompressionType.
std::optional<std::string> CompressionTypeName(uint32_t type) {
  switch (type) {
    case 0:
      return "zlib";
    case 1:
      return "zstd";
    default:
      return std::nullopt;
  }
}

// qemu's QAPI names of the LUKS enums, indexed by guest.proto's values.
std::string EnumName(int value, std::initializer_list<const char*> names) {
  return value > 0 && static_cast<size_t>(value) <= names.size() ? names.begin()[value - 1] : "";
}
std::string HashName(guest::LuksHashAlg hash) {
  return EnumName(hash, {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "ripemd160"});
}

// QCryptoBlockInfoLUKS members in schema order, put after the union's "format" base member.
void PutLuksMembers(QDict& d, const LuksInfo& luks) {
  d.Put("cipher-alg", QObject::Str(luks.cipher_alg));
  d.Put("cipher-mode", QObject::Str(luks.cipher_mode));
  d.Put("ivgen-alg", QObject::Str(luks.ivgen_alg));
  if (luks.ivgen_hash_alg) d.Put("ivgen-hash-alg", QObject::Str(*luks.ivgen_hash_alg));
  d.Put("hash-alg", QObject::Str(luks.hash_alg));
  d.Put("payload-offset", QObject::Int(luks.payload_offset));
  d.Put("master-key-iters", QObject::Int(luks.master_key_iters));
  d.Put("uuid", QObject::Str(luks.uuid));
  QList slots;
  for (const LuksSlotInfo& slot : luks.slots) {
    QDict s;
    s.Put("active", QObject::Bool(slot.active));
    if (slot.iters) s.Put("iters", QObject::Int(*slot.iters));
    if (slot.stripes) s.Put("stripes", QObject::Int(*slot.stripes));
    s.Put("key-offset", QObject::Int(slot.key_offset));
    slots.push_back(QObject::Dict(std::move(s)));
  }
  d.Put("slots", QObject::List(std::move(slots)));
}

// ImageInfoSpecificQCow2Encryption: the "format" base member, then the luks branch's members
// (the aes branch has none).
QObject EncryptToQObject(uint32_t crypt_method, const std::optional<LuksInfo>& luks) {
  QDict d;
  d.Put("format", QObject::Str(crypt_method == 1 ? "aes" : "luks"));
  if (crypt_method != 1 && luks) PutLuksMembers(d, *luks);
  return QObject::Dict(std::move(d));
}

// Qcow2BitmapInfo list; flags in qemu's map order (in-use, then auto).
QObject BitmapsToQObject(const std::vector<guest::Bitmap>& bitmaps) {
  QList list;
  for (const guest::Bitmap& bm : bitmaps) {
    QDict d;
    d.Put("name", QObject::Str(CString(bm.name())));
    const uint32_t bits = bm.granularity_bits();
    // granularity is a uint32 (1U << bits in qemu, which allows at most 31 bits).
    d.Put("granularity", QObject::Uint(bits < 32 ? (uint64_t{1} << bits) : 0));
    QList flags;
    if (bm.flags() & kBitmapInUse) flags.push_back(QObject::Str("in-use"));
    if (bm.flags() & kBitmapAuto) flags.push_back(QObject::Str("auto"));
    d.Put("flags", QObject::List(std::move(flags)));
    list.push_back(QObject::Dict(std::move(d)));
  }
  return QObject::List(std::move(list));
}

// qcow2_get_specific_info(): ImageInfoSpecificQCow2 members in schema order (compat, data-file,
// data-file-raw, extended-l2, lazy-refcounts, corrupt, refcount-bits, encrypt, bitmaps,
// compression-type). v2 images only get compat, refcount-bits, encrypt and compression-type.
std::optional<QObject> Qcow2SpecificToQObject(const DecodedImage& image) {
  const guest::Qcow2Info& q = image.info.qcow2();
  const std::optional<std::string> compression = CompressionTypeName(q.compression_type());
  if (!compression || q.refcount_order() > 6 || q.crypt_method() > 2) return std::nullopt;
  const bool v3 = q.version() == 3;
  if (!v3 && q.version() != 2) return std::nullopt;

  QDict data;
  data.Put("compat", QObject::Str(v3 ? "1.1" : "0.10"));
  if (v3) {
    if (q.has_data_file()) data.Put("data-file", QObject::Str(CString(q.data_file())));
    // has_data_file(bs): true whenever the header declares an external data file, even though
    // info (CVE-2024-4467 fix) does not open it.
    if (q.incompatible_features() & kIncompatDataFile) {
      data.Put("data-file-raw", QObject::Bool(q.autoclear_features() & kAutoclearDataFileRaw));
    }
    data.Put("extended-l2", QObject::Bool(q.incompatible_features() & kIncompatExtendedL2));
    data.Put("lazy-refcounts", QObject::Bool(q.compatible_features() & kCompatLazyRefcounts));
    data.Put("corrupt", QObject::Bool(q.incompatible_features() & kIncompatCorrupt));
  }
  data.Put("refcount-bits", QObject::Int(int64_t{1} << q.refcount_order()));
  if (q.crypt_method() != 0) data.Put("encrypt", EncryptToQObject(q.crypt_method(), image.luks));
  // qcow2_get_bitmap_info_list() yields no list at all for zero bitmaps, and v2 never asks.
  if (v3 && !image.bitmaps.empty()) data.Put("bitmaps", BitmapsToQObject(image.bitmaps));
  data.Put("compression-type", QObject::Str(*compression));

  QDict wrapper;
  wrapper.Put("type", QObject::Str("qcow2"));
  wrapper.Put("data", QObject::Dict(std::move(data)));
  return QObject::Dict(std::move(wrapper));
}

// vmdk_get_specific_info(): ImageInfoSpecificVmdk (create-type, cid, parent-cid, extents), each
// extent a VmdkExtentInfo (filename, format, virtual-size, cluster-size, compressed). The one
// extent of a hosted sparse image is the image file itself, named as qemu names the image; its
// format (the descriptor's extent type) is NULL, which the QAPI visitor outputs as "".
QObject VmdkSpecificToQObject(const guest::VmdkInfo& v, const std::string& filename) {
  QList extents;
  for (const guest::VmdkExtentInfo& e : v.extents()) {
    QDict d;
    d.Put("filename", QObject::Str(filename));
    d.Put("format", QObject::Str(""));
    d.Put("virtual-size", QObject::Int(static_cast<int64_t>(e.virtual_size())));
    d.Put("cluster-size", QObject::Int(static_cast<int64_t>(e.cluster_size())));
    if (e.compressed()) d.Put("compressed", QObject::Bool(true));
    extents.push_back(QObject::Dict(std::move(d)));
  }
  QDict data;
  data.Put("create-type", QObject::Str(v.create_type()));
  data.Put("cid", QObject::Int(v.cid()));
  data.Put("parent-cid", QObject::Int(v.parent_cid()));
  data.Put("extents", QObject::List(std::move(extents)));
  QDict wrapper;
  wrapper.Put("type", QObject::Str("vmdk"));
  wrapper.Put("data", QObject::Dict(std::move(data)));
  return QObject::Dict(std::move(wrapper));
}

// bdrv_qed_do_open(): the backing file name, and "raw" as its format exactly when the image
// says not to probe it (QED_F_BACKING_FORMAT_NO_PROBE); otherwise qemu probes it.
void PutQedBacking(const guest::QedInfo& q, const HostFacts& facts, ImageInfo& info) {
  const std::string backing = q.has_backing_file() ? CString(q.backing_file()) : std::string();
  if (backing.empty()) return;
  info.backing_filename = backing;
  info.full_backing_filename = facts.full_backing_filename
                                   ? facts.full_backing_filename
                                   : FullBackingFilename(facts.filename, backing);
  if (q.backing_raw()) info.backing_filename_format = "raw";
}

// qcow_open(): the backing file name (qcow v1 stores no format: qemu probes it).
void PutQcowBacking(const guest::QcowInfo& q, const HostFacts& facts, ImageInfo& info) {
  const std::string backing = q.has_backing_file() ? CString(q.backing_file()) : std::string();
  if (backing.empty()) return;
  info.backing_filename = backing;
  info.full_backing_filename = facts.full_backing_filename
                                   ? facts.full_backing_filename
                                   : FullBackingFilename(facts.filename, backing);
}

// vmdk_open() -> vmdk_parent_open(): parentFileNameHint names a backing file of format vmdk.
void PutVmdkBacking(const guest::VmdkInfo& v, const HostFacts& facts, ImageInfo& info) {
  const std::string backing = v.has_backing_file() ? CString(v.backing_file()) : std::string();
  if (backing.empty()) return;
  info.backing_filename = backing;
  info.full_backing_filename = facts.full_backing_filename
                                   ? facts.full_backing_filename
                                   : FullBackingFilename(facts.filename, backing);
  info.backing_filename_format = "vmdk";
}

SnapshotInfo ToSnapshotInfo(const guest::Snapshot& sn) {
  SnapshotInfo s;
  s.id = CString(sn.id());
  s.name = CString(sn.name());
  // QAPI holds these as int: a vm_state_size_large above INT64_MAX shows negative, as in qemu.
  s.vm_state_size = static_cast<int64_t>(sn.vm_state_size());
  s.date_sec = sn.date_sec();
  s.date_nsec = sn.date_nsec();
  s.vm_clock_sec = static_cast<int64_t>(sn.vm_clock_nsec() / 1000000000u);
  s.vm_clock_nsec = static_cast<int64_t>(sn.vm_clock_nsec() % 1000000000u);
  // qcow2 uses icount -1 both for "no icount in the extra data" and a stored -1.
  if (sn.has_icount() && sn.icount() != UINT64_MAX) s.icount = static_cast<int64_t>(sn.icount());
  return s;
}

// A "file" protocol node as 8.0+ qemu-img info shows a child: its length is bs->total_sectors *
// 512 (block.c keeps lengths in sectors, rounding up), "dirty-flag" false from raw_get_info(),
// and ImageInfoSpecificFile with no members set.
ImageInfo ProtocolNodeInfo(const ProtocolFacts& file) {
  ImageInfo info;
  info.filename = file.filename;
  info.format = "file";
  info.dirty_flag = false;
  if (file.actual_size && *file.actual_size >= 0) info.actual_size = file.actual_size;
  info.virtual_size = (file.length + 511) / 512 * 512;
  QDict spec;
  spec.Put("type", QObject::Str("file"));
  spec.Put("data", QObject::Dict(QDict()));
  info.format_specific = QObject::Dict(std::move(spec));
  info.children.emplace();
  return info;
}

// The external data file a qcow2 header declares (the data-file incompatible bit plus a name).
std::optional<std::string> DeclaredDataFile(const DecodedImage& image) {
  if (image.info.format() != guest::FORMAT_QCOW2) return std::nullopt;
  const guest::Qcow2Info& q = image.info.qcow2();
  if (q.version() != 3 || !(q.incompatible_features() & kIncompatDataFile)) return std::nullopt;
  if (!q.has_data_file()) return std::nullopt;
  std::string name = CString(q.data_file());
  if (name.empty()) return std::nullopt;
  return name;
}

// The format driver's view of the image for its bdrv_refresh_limits callback.
FormatNode FormatNodeOf(const DecodedImage& image, const HostFacts& facts) {
  FormatNode node;
  if (image.info.format() == guest::FORMAT_VMDK) {
    node.driver = FormatNode::Driver::kVmdk;
    node.cluster_size = static_cast<uint32_t>(image.info.cluster_size());
    return node;
  }
  if (image.info.format() == guest::FORMAT_VDI) {
    node.driver = FormatNode::Driver::kVdi;
    return node;
  }
  if (image.info.format() == guest::FORMAT_LUKS) {
    node.driver = FormatNode::Driver::kLuks;
    return node;
  }
  if (image.info.format() == guest::FORMAT_QED) {
    node.driver = FormatNode::Driver::kQed;
    node.cluster_size = static_cast<uint32_t>(image.info.cluster_size());
    return node;
  }
  if (image.info.format() == guest::FORMAT_VPC || image.info.format() == guest::FORMAT_VHDX) {
    node.driver = FormatNode::Driver::kVpc;  // neither has bdrv_refresh_limits
    return node;
  }
  if (image.info.format() == guest::FORMAT_QCOW || image.info.format() == guest::FORMAT_PARALLELS) {
    node.driver = FormatNode::Driver::kSmallFormat;
    return node;
  }
  if (image.info.format() != guest::FORMAT_QCOW2) {
    node.driver = FormatNode::Driver::kRaw;
    node.probed = facts.format_probed;
    return node;
  }
  const guest::Qcow2Info& q = image.info.qcow2();
  node.driver = FormatNode::Driver::kQcow2;
  node.cluster_size = static_cast<uint32_t>(image.info.cluster_size());
  // qcow2_do_open(): an extended L2 entry splits each cluster into 32 subclusters.
  const bool extended_l2 = q.version() == 3 && (q.incompatible_features() & kIncompatExtendedL2);
  node.subcluster_size = extended_l2 ? node.cluster_size / 32 : node.cluster_size;
  if (q.crypt_method() != 0) node.crypto_sector = kQcow2CryptoSectorSize;
  return node;
}

// qemu 10.2 bdrv_query_block_graph_info(..., limits = true): every node's bs->bl. Protocol
// children are regular files; the format node merges its data child's limits (the data file
// when it is open, whose "file" child then holds metadata only, else "file").
void AttachBlockLimits(const DecodedImage& image, const HostFacts& facts, ImageInfo& info) {
  const BlockLimits file = RegularFileLimits(*facts.limits_host);
  const BlockLimits* data_child = nullptr;
  for (ChildNode& child : *info.children) {
    child.info.limits = file;
    if (data_child == nullptr || child.name == "data-file") data_child = &*child.info.limits;
  }
  info.limits = FormatNodeLimits(FormatNodeOf(image, facts), data_child ? *data_child : file);
}

}  // namespace

std::optional<std::string> DataFileToOpen(const DecodedImage& image, const Profile& profile) {
  if (!profile.info_child_nodes || !profile.info_opens_data_file) return std::nullopt;
  return DeclaredDataFile(image);
}

std::optional<ImageInfo> BuildImageInfo(const DecodedImage& image, const HostFacts& facts,
                                        const Profile& profile) {
  std::optional<ImageInfo> info = BuildImageInfo(image, facts);
  if (!info || !profile.info_child_nodes) return info;
  // bs->children is a list qemu inserts at the head of: the data file, attached after the file,
  // comes first.
  std::vector<ChildNode> children;
  if (facts.data_file && DataFileToOpen(image, profile)) {
    children.push_back({"data-file", ProtocolNodeInfo(*facts.data_file)});
  }
  ProtocolFacts file;
  file.filename = facts.filename;
  file.length = facts.file_length.value_or(0);
  file.actual_size = info->actual_size;
  children.push_back({"file", ProtocolNodeInfo(file)});
  // A format node's allocated size is the sum over its storage children (file, data-file).
  if (children.size() > 1) {
    int64_t sum = 0;
    bool known = true;
    for (const ChildNode& c : children) {
      if (!c.info.actual_size) known = false;
      sum += c.info.actual_size.value_or(0);
    }
    if (known) info->actual_size = sum;
  }
  info->children = std::move(children);
  if (profile.info_limits && facts.limits_host) AttachBlockLimits(image, facts, *info);
  return info;
}

std::optional<ImageInfo> BuildImageInfo(const DecodedImage& image, const HostFacts& facts) {
  const guest::ImageInfo& in = image.info;
  ImageInfo info;
  info.filename = facts.filename;
  info.virtual_size = static_cast<int64_t>(in.virtual_size());
  if (facts.actual_size && *facts.actual_size >= 0) info.actual_size = facts.actual_size;
  if (in.cluster_size() != 0) info.cluster_size = static_cast<int64_t>(in.cluster_size());

  switch (in.format()) {
    case guest::FORMAT_RAW:
      info.format = "raw";
      info.dirty_flag = false;
      return info;
    case guest::FORMAT_QCOW2:
      info.format = "qcow2";
      break;
    case guest::FORMAT_VMDK:
      info.format = "vmdk";
      info.dirty_flag = false;
      PutVmdkBacking(in.vmdk(), facts, info);
      info.format_specific = VmdkSpecificToQObject(in.vmdk(), facts.filename);
      return info;
    case guest::FORMAT_VDI:
      // vdi_get_info() succeeds (so dirty-flag is shown); 7.2 has no format-specific info.
      info.format = "vdi";
      info.dirty_flag = false;
      return info;
    case guest::FORMAT_LUKS: {
      // block_crypto_get_info_luks() succeeds; block_crypto_get_specific_info_luks() gives the
      // header's QCryptoBlockInfoLUKS members without the union's "format".
      if (!image.luks) return std::nullopt;
      info.format = "luks";
      info.dirty_flag = false;
      info.encrypted = true;
      QDict data;
      PutLuksMembers(data, *image.luks);
      QDict wrapper;
      wrapper.Put("type", QObject::Str("luks"));
      wrapper.Put("data", QObject::Dict(std::move(data)));
      info.format_specific = QObject::Dict(std::move(wrapper));
      return info;
    }
    case guest::FORMAT_QED:
      // bdrv_qed_get_info()'s is_dirty is the need-check bit, but by then the drain at the end
      // of bdrv_open() has run the need-check timer, which clears the bit in memory (its header
      // write fails on the read-only file): 7.2 always shows false. No format-specific info.
      info.format = "qed";
      info.dirty_flag = false;
      PutQedBacking(in.qed(), facts, info);
      return info;
    case guest::FORMAT_VHDX:
      // vhdx_get_info() succeeds (cluster_size is the block size); 7.2 has no format-specific
      // info.
      info.format = "vhdx";
      info.dirty_flag = false;
      return info;
    case guest::FORMAT_VPC:
      // vpc_get_info() succeeds (cluster_size only for a non-fixed footer type); 7.2 has no
      // format-specific info.
      info.format = "vpc";
      info.dirty_flag = false;
      return info;
    // small-formats: qcow_get_info() succeeds (dirty-flag false); no format-specific info.
    case guest::FORMAT_QCOW:
      info.format = "qcow";
      info.dirty_flag = false;
      if (in.qcow().encrypted()) info.encrypted = true;
      PutQcowBacking(in.qcow(), facts, info);
      return info;
    case guest::FORMAT_PARALLELS:
      info.format = "parallels";  // no bdrv_get_info: neither cluster size nor dirty flag
      return info;
    default:
      return std::nullopt;
  }

  const guest::Qcow2Info& q = in.qcow2();
  // qcow2_get_info(): is_dirty is the dirty bit (v2 headers have no feature bits at all).
  info.dirty_flag = q.version() == 3 && (q.incompatible_features() & kIncompatDirty) != 0;
  if (q.crypt_method() != 0) info.encrypted = true;

  const std::string backing = q.has_backing_file() ? CString(q.backing_file()) : std::string();
  if (!backing.empty()) {
    info.backing_filename = backing;
    info.full_backing_filename = facts.full_backing_filename
                                     ? facts.full_backing_filename
                                     : FullBackingFilename(facts.filename, backing);
    if (q.has_backing_format()) {
      std::string fmt = CString(q.backing_format());
      if (!fmt.empty()) info.backing_filename_format = std::move(fmt);
    }
  }

  if (!image.snapshots.empty()) {
    std::vector<SnapshotInfo> list;
    for (const guest::Snapshot& sn : image.snapshots) list.push_back(ToSnapshotInfo(sn));
    info.snapshots = std::move(list);
  }

  info.format_specific = Qcow2SpecificToQObject(image);
  if (!info.format_specific) return std::nullopt;
  return info;
}

QObject ImageInfoToQObject(const ImageInfo& info) {
  // ImageInfo members in qapi/block-core.json order; QDict iteration does the rest.
  QDict d;
  d.Put("filename", QObject::Str(info.filename));
  d.Put("format", QObject::Str(info.format));
  if (info.dirty_flag) d.Put("dirty-flag", QObject::Bool(*info.dirty_flag));
  if (info.actual_size) d.Put("actual-size", QObject::Int(*info.actual_size));
  d.Put("virtual-size", QObject::Int(info.virtual_size));
  if (info.cluster_size) d.Put("cluster-size", QObject::Int(*info.cluster_size));
  if (info.encrypted) d.Put("encrypted", QObject::Bool(*info.encrypted));
  if (info.backing_filename) d.Put("backing-filename", QObject::Str(*info.backing_filename));
  if (info.full_backing_filename) {
    d.Put("full-backing-filename", QObject::Str(*info.full_backing_filename));
  }
  if (info.backing_filename_format) {
    d.Put("backing-filename-format", QObject::Str(*info.backing_filename_format));
  }
  if (info.snapshots) {
    QList list;
    for (const SnapshotInfo& sn : *info.snapshots) {
      QDict s;
      s.Put("id", QObject::Str(sn.id));
      s.Put("name", QObject::Str(sn.name));
      s.Put("vm-state-size", QObject::Int(sn.vm_state_size));
      s.Put("date-sec", QObject::Int(sn.date_sec));
      s.Put("date-nsec", QObject::Int(sn.date_nsec));
      s.Put("vm-clock-sec", QObject::Int(sn.vm_clock_sec));
      s.Put("vm-clock-nsec", QObject::Int(sn.vm_clock_nsec));
      if (sn.icount) s.Put("icount", QObject::Int(*sn.icount));
      list.push_back(QObject::Dict(std::move(s)));
    }
    d.Put("snapshots", QObject::List(std::move(list)));
  }
  if (info.limits) d.Put("limits", BlockLimitsToQObject(*info.limits));
  if (info.format_specific) d.Put("format-specific", *info.format_specific);
  // BlockGraphInfo extends ImageInfo: its one member is visited after the base's.
  if (info.children) {
    QList children;
    for (const ChildNode& child : *info.children) {
      QDict c;
      c.Put("name", QObject::Str(child.name));
      c.Put("info", ImageInfoToQObject(child.info));
      children.push_back(QObject::Dict(std::move(c)));
    }
    d.Put("children", QObject::List(std::move(children)));
  }
  return QObject::Dict(std::move(d));
}

LuksInfo LuksInfoFromGuest(const guest::LuksInfo& luks) {
  LuksInfo out;
  out.cipher_alg = EnumName(luks.cipher_alg(), {"aes-128", "aes-192", "aes-256", "cast5-128",
                                                "serpent-128", "serpent-192", "serpent-256",
                                                "twofish-128", "twofish-192", "twofish-256"});
  out.cipher_mode = EnumName(luks.cipher_mode(), {"ecb", "cbc", "xts", "ctr"});
  out.ivgen_alg = EnumName(luks.ivgen_alg(), {"plain", "plain64", "essiv"});
  if (luks.ivgen_hash_alg() != guest::LUKS_HASH_UNSPECIFIED) {
    out.ivgen_hash_alg = HashName(luks.ivgen_hash_alg());
  }
  out.hash_alg = HashName(luks.hash_alg());
  out.payload_offset = static_cast<int64_t>(luks.payload_offset());
  out.master_key_iters = luks.master_key_iters();
  out.uuid = luks.uuid();
  for (const guest::LuksSlot& slot : luks.slots()) {
    LuksSlotInfo s;
    s.active = slot.active();
    if (slot.active()) {
      s.iters = slot.iters();
      s.stripes = slot.stripes();
    }
    s.key_offset = static_cast<int64_t>(slot.key_offset());
    out.slots.push_back(s);
  }
  return out;
}

}  // namespace instar::render
