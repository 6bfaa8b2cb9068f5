// Guest error code -> qemu-img 7.2 message table, plus the program-name framing of diagnostics.
#include "engine/render/error_text.h"

#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace instar::render {
namespace {

uint64_t Arg(const guest::Error& e, int i) {
  return i < e.args_size() ? e.args(i) : 0;
}

// qemu formats these header fields with %u / %d / %i of 32-bit values.
std::string U32(uint64_t v) {
  return std::to_string(static_cast<uint32_t>(v));
}
std::string I32(uint64_t v) {
  return std::to_string(static_cast<int32_t>(static_cast<uint32_t>(v)));
}
std::string U64(uint64_t v) {
  return std::to_string(v);
}

// error_setg_errno()'s strerror() of a positive errno the guest reports.
std::string Errno(uint64_t v) {
  return std::strerror(static_cast<int>(static_cast<uint32_t>(v)));
}

// printf's %#lx / %#x: "0" for zero, otherwise "0x" and lowercase hex digits.
std::string AltHex(uint64_t v) {
  if (v == 0) return "0";
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// printf's %<width>x / %<width>lx: lowercase hex, zero-padded to `width` digits.
std::string Hex(uint64_t v, int width = 0) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*" PRIx64, width, v);
  return buf;
}

// An image name as qemu's %s prints it: up to its first NUL. Names are the only bytes of an
// Error that are not numbers; every word around them is this file's.
// qemu's format_name of a guest.proto Format: its enum name without "FORMAT_", in lower case
// (the enum names follow qemu's drivers).
std::string FormatDriverName(uint64_t format) {
  std::string name = guest::Format_IsValid(static_cast<int>(format))
                         ? guest::Format_Name(static_cast<guest::Format>(format))
                         : "FORMAT_UNKNOWN";
  name.erase(0, std::string("FORMAT_").size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string CString(const std::string& bytes) {
  return bytes.substr(0, bytes.find('\0'));
}

// report_unsupported_feature(): the table's names of the unknown bits, then the bits no entry
// names, comma-joined.
std::string UnsupportedFeatures(const guest::Error& e) {
  std::string out;
  for (const std::string& name : e.feature_names()) {
    if (!out.empty()) out += ", ";
    out += CString(name);
  }
  if (Arg(e, 0) != 0) {
    char hex[24];
    std::snprintf(hex, sizeof hex, "%" PRIx64, Arg(e, 0));
    if (!out.empty()) out += ", ";
    out += "Unknown incompatible feature: ";
    out += hex;
  }
  return out;
}

// One row of the code -> text table. Rows are keyed by the enum value's *name* in guest.proto,
// so the table survives renumbering and a proto that has not gained a code yet; a unit test
// checks that every code the proto defines has a row.
struct Rule {
  std::string_view code;
  void (*render)(const guest::Error& e, ErrorText& t);
};

#define INSTAR_FIXED(code, text)                                      \
  Rule {                                                              \
    code, [](const guest::Error&, ErrorText& t) { t.message = text; } \
  }

constexpr Rule kRules[] = {
    // --- instar's own conditions: qemu has no such message ---------------------------------------
    INSTAR_FIXED("ERROR_INTERNAL", "instar: internal error in the sandboxed image parser"),
    INSTAR_FIXED("ERROR_UNSUPPORTED_OP", "Operation not supported"),
    INSTAR_FIXED("ERROR_BAD_CONFIG", "instar: inconsistent sandbox configuration"),
    // --- I/O and corruption
    // -----------------------------------------------------------------------
    INSTAR_FIXED("ERROR_IO", "Input/output error"),
    // No guest emits it: each corruption event has a code of its own (from 60 on).
    INSTAR_FIXED("ERROR_CORRUPT", "Input/output error"),
    // --- qcow2_do_open()
    // --------------------------------------------------------------------------
    INSTAR_FIXED("ERROR_NOT_QCOW2", "Image is not in qcow2 format"),
    INSTAR_FIXED("ERROR_HEADER_TOO_SHORT", "qcow2 header too short"),
    {"ERROR_UNSUPPORTED_VERSION",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unsupported qcow2 version " + U32(Arg(e, 0));
     }},
    // Version 1 goes to the legacy qcow driver, whose first failing check on a qcow2-shaped header
    // reads the (zero) high byte of crypt_method as cluster_bits.
    INSTAR_FIXED("ERROR_QCOW_V1", "Cluster size must be between 512 and 64k"),
    {"ERROR_UNSUPPORTED_CLUSTER_SIZE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unsupported cluster size: 2^" + U32(Arg(e, 0));
     }},
    INSTAR_FIXED("ERROR_HEADER_EXCEEDS_CLUSTER", "qcow2 header exceeds cluster size"),
    INSTAR_FIXED("ERROR_HEADER_EXTENSION_TOO_LARGE", "Header extension too large"),
    // qcow2_read_extensions() words each case itself; the cases have codes of their own.
    INSTAR_FIXED("ERROR_INVALID_HEADER_EXTENSION", "instar: invalid qcow2 header extension"),
    INSTAR_FIXED("ERROR_REFCOUNT_ORDER_TOO_LARGE",
                 "Reference count entry width too large; may not exceed 64 bits"),
    {"ERROR_UNSUPPORTED_FEATURES",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unsupported qcow2 feature(s): " + UnsupportedFeatures(e);
     }},
    INSTAR_FIXED("ERROR_REFCOUNT_TABLE_OFFSET_INVALID", "Reference count table offset invalid"),
    INSTAR_FIXED("ERROR_NO_REFCOUNT_TABLE", "Image does not contain a reference count table"),
    INSTAR_FIXED("ERROR_REFCOUNT_TABLE_TOO_LARGE", "Reference count table too large"),
    INSTAR_FIXED("ERROR_L1_TOO_LARGE", "Active L1 table too large"),
    INSTAR_FIXED("ERROR_L1_TOO_SMALL", "L1 table is too small"),
    INSTAR_FIXED("ERROR_L1_OFFSET_INVALID", "Active L1 table offset invalid"),
    {"ERROR_UNSUPPORTED_ENCRYPTION",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unsupported encryption method " + I32(Arg(e, 0));
     }},
    INSTAR_FIXED("ERROR_SNAPSHOT_OFFSET_INVALID", "Snapshot table offset invalid"),
    INSTAR_FIXED("ERROR_SNAPSHOT_TABLE_TOO_LARGE", "Snapshot table too large"),
    {"ERROR_SNAPSHOT_EXTRA_TOO_LARGE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Too much extra metadata in snapshot table entry " + I32(Arg(e, 0));
       t.hint = "You can force-remove this extra metadata with qemu-img check -r all\n";
     }},
    INSTAR_FIXED("ERROR_BACKING_NAME_TOO_LONG", "Backing file name too long"),
    {"ERROR_UNKNOWN_COMPRESSION_TYPE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "qcow2: unknown compression type: " + U32(Arg(e, 0));
     }},
    INSTAR_FIXED("ERROR_COMPRESSION_BIT_NOT_SET",
                 "qcow2: Compression type incompatible feature bit must be set"),
    INSTAR_FIXED("ERROR_IMAGE_TOO_LARGE", "Image is too big"),
    INSTAR_FIXED("ERROR_DATA_FILE_REQUIRED", "'data-file' is required for this image"),
    INSTAR_FIXED("ERROR_BACKING_FILE_OFFSET_INVALID", "Invalid backing file offset"),
    INSTAR_FIXED("ERROR_COMPRESSION_BIT_SET_FOR_ZLIB",
                 "qcow2: Compression type incompatible feature bit must not be set"),
    {"ERROR_UNSUPPORTED_SUBCLUSTER_SIZE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unsupported subcluster size: " + I32(Arg(e, 0));
     }},
    INSTAR_FIXED("ERROR_DATA_FILE_RAW_WITHOUT_DATA_FILE", "data-file-raw requires a data file"),
    // --- qcow2_read_extensions()
    // ------------------------------------------------------------------
    {"ERROR_BACKING_FORMAT_TOO_LONG",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "ERROR: ext_backing_format: len=" + U32(Arg(e, 0)) +
                   " too large (>=" + U64(Arg(e, 1)) + ")";
     }},
    INSTAR_FIXED("ERROR_CRYPTO_HEADER_UNEXPECTED",
                 "CRYPTO header extension only expected with LUKS encryption method"),
    {"ERROR_CRYPTO_HEADER_SIZE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "CRYPTO header extension size " + U32(Arg(e, 0)) + ", but expected size " +
                   U64(Arg(e, 1));
     }},
    {"ERROR_CRYPTO_HEADER_OFFSET_MISALIGNED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Encryption header offset '" + U64(Arg(e, 0)) +
                   "' is not a multiple of cluster size '" + U32(Arg(e, 1)) + "'";
     }},
    // --- crypto/block-luks.c, opened by the crypto header extension ---------------------------
    INSTAR_FIXED("ERROR_LUKS_OUTSIDE_EXTENSION", "Request for data outside of extension header"),
    INSTAR_FIXED("ERROR_LUKS_NOT_LUKS", "Volume is not in LUKS format"),
    {"ERROR_LUKS_VERSION",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "LUKS version " + U32(Arg(e, 0)) + " is not supported";
     }},
    {"ERROR_LUKS_NOT_NUL_TERMINATED",
     [](const guest::Error& e, ErrorText& t) {
       static const char* const kFields[] = {"cipher name", "cipher mode", "hash spec"};
       t.message = std::string("LUKS header ") + kFields[Arg(e, 0) < 3 ? Arg(e, 0) : 0] +
                   " is not NUL terminated";
     }},
    INSTAR_FIXED("ERROR_LUKS_PAYLOAD_OVER_HEADER", "LUKS payload is overlapping with the header"),
    INSTAR_FIXED("ERROR_LUKS_KEY_ITERATIONS_ZERO", "LUKS key iteration count is zero"),
    {"ERROR_LUKS_SLOT_STRIPES",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Keyslot " + U64(Arg(e, 0)) + " is corrupted (stripes " + I32(Arg(e, 1)) +
                   " != " + I32(Arg(e, 2)) + ")";
     }},
    {"ERROR_LUKS_SLOT_ITERATIONS_ZERO",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Keyslot " + U64(Arg(e, 0)) + " iteration count is zero";
     }},
    {"ERROR_LUKS_SLOT_OVER_HEADER",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Keyslot " + U64(Arg(e, 0)) + " is overlapping with the LUKS header";
     }},
    {"ERROR_LUKS_SLOT_STATE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Keyslot " + U64(Arg(e, 0)) + " state (active/disable) is corrupted";
     }},
    {"ERROR_LUKS_SLOT_OVER_PAYLOAD",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Keyslot " + U64(Arg(e, 0)) + " is overlapping with the encrypted payload";
     }},
    {"ERROR_LUKS_SLOTS_OVERLAP",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Keyslots " + U64(Arg(e, 0)) + " and " + U64(Arg(e, 1)) +
                   " are overlapping in the header";
     }},
    {"ERROR_LUKS_CIPHER_MODE_FORMAT",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unexpected cipher mode string format '" + CString(e.name()) + "'";
     }},
    {"ERROR_LUKS_HASH_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Hash algorithm '" + CString(e.name()) + "' not supported";
     }},
    {"ERROR_LUKS_CIPHER_MODE_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Cipher mode '" + CString(e.name()) + "' not supported";
     }},
    {"ERROR_LUKS_CIPHER_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       // qemu prints the uint32_t key size with %d.
       t.message = "Algorithm '" + CString(e.name()) + "' with key size " + I32(Arg(e, 0)) +
                   " bytes not supported";
     }},
    {"ERROR_LUKS_IVGEN_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "IV generator '" + CString(e.name()) + "' not supported";
     }},
    INSTAR_FIXED("ERROR_LUKS_IVGEN_HASH_MISSING", "Missing IV generator hash specification"),
    {"ERROR_LUKS_ESSIV_KEY_SIZE",
     [](const guest::Error& e, ErrorText& t) {
       static const char* const kFamilies[] = {"AES", "Serpent", "Twofish"};
       t.message = std::string("No ") + kFamilies[Arg(e, 0) < 3 ? Arg(e, 0) : 0] +
                   " cipher with key size " + U64(Arg(e, 1)) + " available";
     }},
    INSTAR_FIXED("ERROR_LUKS_ESSIV_CIPHER", "Cipher cast5-128 not supported with essiv"),
    {"ERROR_CRYPTO_HEADER_MISSING",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Missing CRYPTO header for crypt method " + I32(Arg(e, 0));
     }},
    INSTAR_FIXED("ERROR_BITMAPS_EXT_INVALID_LENGTH", "bitmaps_ext: Invalid extension length"),
    INSTAR_FIXED("ERROR_BITMAPS_EXT_RESERVED_NONZERO", "bitmaps_ext: Reserved field is not zero"),
    {"ERROR_BITMAPS_TOO_MANY",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "bitmaps_ext: Image has " + U32(Arg(e, 0)) +
                   " bitmaps, exceeding the QEMU supported maximum of " + I32(Arg(e, 1));
     }},
    INSTAR_FIXED("ERROR_BITMAPS_ZERO", "found bitmaps extension with zero bitmaps"),
    INSTAR_FIXED("ERROR_BITMAP_DIRECTORY_OFFSET_INVALID",
                 "bitmaps_ext: invalid bitmap directory offset"),
    {"ERROR_BITMAP_DIRECTORY_TOO_LARGE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "bitmaps_ext: bitmap directory size (" + U64(Arg(e, 0)) +
                   ") exceeds the maximum supported size (" + I32(Arg(e, 1)) + ")";
     }},
    // --- qcow2-bitmap.c bitmap_list_load()
    // --------------------------------------------------------
    INSTAR_FIXED("ERROR_BITMAP_DIRECTORY_SIZE_ZERO", "Requested bitmap directory size is zero"),
    INSTAR_FIXED("ERROR_BITMAP_DIRECTORY_BROKEN", "Broken bitmap directory"),
    INSTAR_FIXED("ERROR_BITMAPS_MORE_THAN_HEADER",
                 "More bitmaps found than specified in header extension"),
    INSTAR_FIXED("ERROR_BITMAPS_LESS_THAN_HEADER",
                 "Less bitmaps found than specified in header extension"),
    INSTAR_FIXED("ERROR_BITMAP_EXTRA_DATA", "Bitmap extra data is not supported"),
    {"ERROR_BITMAP_CONSTRAINTS",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Bitmap '" + CString(e.name()) + "' doesn't satisfy the constraints";
     }},
    // --- qcow2-snapshot.c qcow2_do_read_snapshots()
    // -----------------------------------------------
    {"ERROR_SNAPSHOT_TABLE_TOO_BIG",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Snapshot table is too big";
       t.hint = "You can force-remove all " + U32(Arg(e, 0)) +
                " overhanging snapshots with qemu-img check -r all\n";
     }},
    // --- block/snapshot.c bdrv_snapshot_load_tmp() and qcow2_snapshot_load_tmp()
    // ------------------------
    INSTAR_FIXED("ERROR_SNAPSHOT_NOT_FOUND", "Can't find snapshot"),
    INSTAR_FIXED("ERROR_SNAPSHOT_L1_TOO_LARGE", "Snapshot L1 table too large"),
    INSTAR_FIXED("ERROR_SNAPSHOT_L1_OFFSET_INVALID", "Snapshot L1 table offset invalid"),
    {"ERROR_SNAPSHOT_LOAD_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       // The device name is empty: qemu-img opens its images without one.
       t.message = "Block format '" + FormatDriverName(Arg(e, 0)) +
                   "' used by device '' does not support temporarily loading internal snapshots";
     }},
    // --- qcow2.c qcow2_co_create() option checks (the text follows "<file>: ") -----------------
    INSTAR_FIXED("ERROR_CREATE_CLUSTER_SIZE",
                 "Cluster size must be a power of two between 512 and 2048k"),
    INSTAR_FIXED("ERROR_CREATE_EXTENDED_L2_COMPAT",
                 "Extended L2 entries are only supported with compatibility level 1.1 and above "
                 "(use version=v3 or greater)"),
    {"ERROR_CREATE_EXTENDED_L2_CLUSTER_SIZE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Extended L2 entries are only supported with cluster sizes of at least " +
                   I32(Arg(e, 0)) + " bytes";
     }},
    INSTAR_FIXED("ERROR_CREATE_BACKING_PREALLOCATION",
                 "Backing file and preallocation can only be used at the same time if "
                 "extended_l2 is on"),
    INSTAR_FIXED("ERROR_CREATE_BACKING_FMT_WITHOUT_FILE",
                 "Backing format cannot be used without backing file"),
    INSTAR_FIXED("ERROR_CREATE_LAZY_REFCOUNTS_COMPAT",
                 "Lazy refcounts only supported with compatibility level 1.1 and above (use "
                 "version=v3 or greater)"),
    INSTAR_FIXED("ERROR_CREATE_REFCOUNT_WIDTH",
                 "Refcount width must be a power of two and may not exceed 64 bits"),
    INSTAR_FIXED("ERROR_CREATE_REFCOUNT_WIDTH_COMPAT",
                 "Different refcount widths than 16 bits require compatibility level 1.1 or "
                 "above (use version=v3 or greater)"),
    INSTAR_FIXED("ERROR_CREATE_DATA_FILE_COMPAT",
                 "External data files are only supported with compatibility level 1.1 and above "
                 "(use version=v3 or greater)"),
    INSTAR_FIXED("ERROR_CREATE_DATA_FILE_RAW_WITHOUT_DATA_FILE",
                 "data-file-raw requires data-file"),
    INSTAR_FIXED("ERROR_CREATE_BACKING_WITH_DATA_FILE_RAW",
                 "Backing file and data-file-raw cannot be used at the same time"),
    INSTAR_FIXED("ERROR_CREATE_COMPRESSION_TYPE_COMPAT",
                 "Non-zlib compression type is only supported with compatibility level 1.1 and "
                 "above (use version=v3 or greater)"),
    // qcow2_change_backing_file()'s errno: the command that names the backing file prefixes
    // qemu's "Could not assign backing file '<name>' with format '<fmt>': ".
    INSTAR_FIXED("ERROR_CREATE_HEADER_NO_SPACE", "No space left on device"),
    INSTAR_FIXED("ERROR_CREATE_BACKING_NAME_TOO_LONG", "Invalid argument"),
    // --- block/vmdk.c vmdk_open() and its helpers ---------------------------------------------
    INSTAR_FIXED("ERROR_VMDK_INVALID_DESCRIPTOR", "invalid VMDK image descriptor"),
    {"ERROR_VMDK_UNSUPPORTED_IMAGE_TYPE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unsupported image type '" + CString(e.name()) + "'";
     }},
    INSTAR_FIXED("ERROR_VMDK_INVALID_FOOTER", "Invalid footer"),
    INSTAR_FIXED("ERROR_VMDK_FOOTER_READ", "Failed to read footer: Input/output error"),
    {"ERROR_VMDK_UNSUPPORTED_VERSION",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unsupported VMDK version " + U32(Arg(e, 0));
     }},
    INSTAR_FIXED("ERROR_VMDK_L2_TABLE_TOO_BIG", "L2 table size too big"),
    INSTAR_FIXED("ERROR_VMDK_L1_ENTRY_INVALID", "L1 entry size is invalid"),
    {"ERROR_VMDK_TRUNCATED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "File truncated, expecting at least " +
                   std::to_string(static_cast<int64_t>(Arg(e, 0))) + " bytes";
     }},
    INSTAR_FIXED("ERROR_VMDK_INVALID_GRANULARITY", "Invalid granularity, image may be corrupt"),
    INSTAR_FIXED("ERROR_VMDK_L1_TOO_BIG", "L1 size too big"),
    {"ERROR_VMDK_L1_READ",
     [](const guest::Error&, ErrorText& t) {
       t.message = "Could not read l1 table from extent '";
       t.quotes_image = true;
       t.after_image = "': Input/output error";
     }},
    {"ERROR_VMDK_L1_BACKUP_READ",
     [](const guest::Error&, ErrorText& t) {
       t.message = "Could not read l1 backup table from extent '";
       t.quotes_image = true;
       t.after_image = "': Input/output error";
     }},
    // bdrv_open_driver(): a driver failing without a message gets "Could not open '%s'".
    {"ERROR_VMDK_OPEN_EINVAL",
     [](const guest::Error&, ErrorText& t) {
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': Invalid argument";
     }},
    INSTAR_FIXED("ERROR_VMDK_DESCRIPTOR_FILE",
                 "instar: vmdk descriptors that name extent files are not supported yet"),
    INSTAR_FIXED("ERROR_VMDK_VMFS_SPARSE",
                 "instar: VMFS sparse (COWD) vmdk extents are not supported yet"),
    INSTAR_FIXED("ERROR_VMDK_GRAIN", "Invalid argument"),
    INSTAR_FIXED("ERROR_VMDK_CLUSTER_LOOKUP", "Input/output error"),
    INSTAR_FIXED("ERROR_VMDK_DESC_READ", "Could not read from file: Input/output error"),
    // --- block/vdi.c vdi_open() ------------------------------------------------------------------
    {"ERROR_VDI_DISK_SIZE_TOO_LARGE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unsupported VDI image size (size is 0x" + Hex(Arg(e, 0)) +
                   ", max supported is 0x" + Hex(Arg(e, 1)) + ")";
     }},
    {"ERROR_VDI_BAD_SIGNATURE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Image not in VDI format (bad signature " +
                   Hex(static_cast<uint32_t>(Arg(e, 0)), 8) + ")";
     }},
    {"ERROR_VDI_VERSION",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "unsupported VDI image (version " + U32(Arg(e, 0)) + "." + U32(Arg(e, 1)) + ")";
     }},
    {"ERROR_VDI_BMAP_UNALIGNED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "unsupported VDI image (unaligned block map offset 0x" +
                   Hex(static_cast<uint32_t>(Arg(e, 0))) + ")";
     }},
    {"ERROR_VDI_DATA_UNALIGNED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "unsupported VDI image (unaligned data offset 0x" +
                   Hex(static_cast<uint32_t>(Arg(e, 0))) + ")";
     }},
    {"ERROR_VDI_SECTOR_SIZE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "unsupported VDI image (sector size " + U32(Arg(e, 0)) + " is not 512)";
     }},
    {"ERROR_VDI_BLOCK_SIZE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "unsupported VDI image (block size " + U32(Arg(e, 0)) + " is not 1048576)";
     }},
    {"ERROR_VDI_DISK_SIZE_VS_BLOCKS",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "unsupported VDI image (disk size " + U64(Arg(e, 0)) +
                   ", image bitmap has room for " + U64(Arg(e, 1)) + ")";
     }},
    INSTAR_FIXED("ERROR_VDI_LINK_UUID", "unsupported VDI image (non-NULL link UUID)"),
    INSTAR_FIXED("ERROR_VDI_PARENT_UUID", "unsupported VDI image (non-NULL parent UUID)"),
    {"ERROR_VDI_TOO_MANY_BLOCKS",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "unsupported VDI image (too many blocks " + U32(Arg(e, 0)) + ", max is " +
                   U32(Arg(e, 1)) + ")";
     }},
    // --- block/qed.c bdrv_qed_do_open() and qed_find_cluster() ---------------------------------
    INSTAR_FIXED("ERROR_QED_NOT_QED", "Image not in QED format"),
    {"ERROR_QED_UNSUPPORTED_FEATURES",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Unsupported QED features: " + Hex(Arg(e, 0));
     }},
    INSTAR_FIXED("ERROR_QED_CLUSTER_SIZE", "QED cluster size is invalid"),
    INSTAR_FIXED("ERROR_QED_TABLE_SIZE", "QED table size is invalid"),
    INSTAR_FIXED("ERROR_QED_IMAGE_SIZE", "QED image size is invalid"),
    INSTAR_FIXED("ERROR_QED_TABLE_OFFSET", "QED table offset is invalid"),
    INSTAR_FIXED("ERROR_QED_HEADER_SIZE", "QED header size is too large"),
    INSTAR_FIXED("ERROR_QED_BACKING_NAME_OFFSET", "QED backing filename offset is invalid"),
    INSTAR_FIXED("ERROR_QED_BACKING_NAME_READ", "Failed to read backing filename"),
    INSTAR_FIXED("ERROR_QED_INVALID_OFFSET", "Invalid argument"),
    // --- block/vpc.c vpc_open() ------------------------------------------------------------------
    INSTAR_FIXED("ERROR_VPC_FILE_TOO_SMALL", "File too small for a VHD header"),
    INSTAR_FIXED("ERROR_VPC_INVALID", "invalid VPC image"),
    INSTAR_FIXED("ERROR_VPC_CHECKSUM", "Incorrect header checksum"),
    // --- block/vhdx.c, block/vhdx-log.c vhdx_open() ----------------------------------------
    // Errno-only failures: bdrv_open_driver() words them "Could not open '%s': <strerror>".
    {"ERROR_VHDX_EINVAL",
     [](const guest::Error&, ErrorText& t) {
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': Invalid argument";
     }},
    {"ERROR_VHDX_ENOTSUP",
     [](const guest::Error&, ErrorText& t) {
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': Operation not supported";
     }},
    {"ERROR_VHDX_EIO",
     [](const guest::Error&, ErrorText& t) {
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': Input/output error";
     }},
    INSTAR_FIXED("ERROR_VHDX_NO_VALID_HEADER", "No valid VHDX header found"),
    {"ERROR_VHDX_LOG_REPLAY",
     [](const guest::Error&, ErrorText& t) {
       t.message = "VHDX image file '";
       t.quotes_image = true;
       t.after_image = "' opened read-only, but contains a log that needs to be replayed";
       t.hint = "To replay the log, run:\nqemu-img check -r all '";
       t.hint_quotes_image = true;
       t.hint_after_image = "'\n";
     }},
    {"ERROR_VHDX_REGION_OVERLAP",
     [](const guest::Error& e, ErrorText& t) {
       // "%.lu": a zero end prints nothing.
       t.reports = "VHDX region " + U64(Arg(e, 0)) + "-" + U64(Arg(e, 1)) +
                   " overlaps with region " + U64(Arg(e, 2)) + "-" +
                   (Arg(e, 3) == 0 ? std::string() : U64(Arg(e, 3))) + "\n";
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': Invalid argument";
     }},
    {"ERROR_VHDX_BAT_OFFSET_OVERFLOW",
     [](const guest::Error& e, ErrorText& t) {
       t.reports = "VHDX BAT entry " + U64(Arg(e, 0)) + " offset overflow.\n";
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': Invalid argument";
     }},
    {"ERROR_VHDX_BAT_START_PAST_EOF",
     [](const guest::Error& e, ErrorText& t) {
       t.reports = "VHDX BAT entry " + U64(Arg(e, 0)) + " start offset " + U64(Arg(e, 1)) +
                   " points after end of file (" + U64(Arg(e, 2)) +
                   "). Image has probably been truncated.\n";
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': Invalid argument";
     }},
    {"ERROR_VHDX_BAT_END_PAST_EOF",
     [](const guest::Error& e, ErrorText& t) {
       t.reports = "VHDX BAT entry " + U64(Arg(e, 0)) + " end offset " + U64(Arg(e, 1)) +
                   " points after end of file (" + U64(Arg(e, 2)) +
                   "). Image has probably been truncated.\n";
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': Invalid argument";
     }},
    INSTAR_FIXED("ERROR_VHDX_BLOCK_STATE", "Input/output error"),
    INSTAR_FIXED("ERROR_VHDX_BAT_PAST_TABLE", "Input/output error"),
    // vpc_open() returns -EFBIG without a message: bdrv_open_driver() words it.
    {"ERROR_VPC_TOO_LARGE",
     [](const guest::Error&, ErrorText& t) {
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': File too large";
     }},
    INSTAR_FIXED("ERROR_VPC_DYNAMIC_HEADER_READ", "Error reading dynamic VHD header"),
    INSTAR_FIXED("ERROR_VPC_HEADER_MAGIC", "Invalid header magic"),
    {"ERROR_VPC_BLOCK_SIZE",
     [](const guest::Error& e, ErrorText& t) { t.message = "Invalid block size " + U32(Arg(e, 0)); }},
    INSTAR_FIXED("ERROR_VPC_TOO_MANY_BLOCKS", "Too many blocks"),
    INSTAR_FIXED("ERROR_VPC_PAGE_TABLE_TOO_SMALL", "Page table too small"),
    {"ERROR_VPC_MAX_TABLE_ENTRIES",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Max Table Entries too large (" + I32(Arg(e, 0)) + ")";
     }},
    INSTAR_FIXED("ERROR_VPC_PAGETABLE_READ", "Error reading pagetable"),
    INSTAR_FIXED("ERROR_VPC_TRUNCATED",
                 "block-vpc: free_data_block_offset points after the end of file. The image has "
                 "been truncated."),
    // --- small-formats: block/qcow.c qcow_open() and reads ------------------------------------
    INSTAR_FIXED("ERROR_QCOW1_NOT_QCOW", "Image not in qcow format"),
    {"ERROR_QCOW1_VERSION",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "qcow (v1) does not support qcow version " + U32(Arg(e, 0));
       t.hint = "Try the 'qcow2' driver instead.\n";
     }},
    INSTAR_FIXED("ERROR_QCOW1_SIZE_TOO_SMALL", "Image size is too small (must be at least 2 bytes)"),
    INSTAR_FIXED("ERROR_QCOW1_CLUSTER_SIZE", "Cluster size must be between 512 and 64k"),
    INSTAR_FIXED("ERROR_QCOW1_L2_SIZE", "L2 table size must be between 512 and 64k"),
    INSTAR_FIXED("ERROR_QCOW1_CRYPT_METHOD", "invalid encryption method in qcow header"),
    INSTAR_FIXED("ERROR_QCOW1_TOO_LARGE", "Image too large"),
    INSTAR_FIXED("ERROR_QCOW1_BACKING_NAME_TOO_LONG", "Backing file name too long"),
    // qcow_open() returns -EIO without a message: bdrv_open_driver() words it.
    {"ERROR_SMALL_OPEN_EIO",
     [](const guest::Error&, ErrorText& t) {
       t.message = "Could not open '";
       t.quotes_image = true;
       t.after_image = "': Input/output error";
     }},
    INSTAR_FIXED("ERROR_SMALL_EIO", "Input/output error"),
    // block/parallels.c parallels_open() and parallels_read_format_extension()
    INSTAR_FIXED("ERROR_PARALLELS_NOT_PARALLELS", "Image not in Parallels format"),
    INSTAR_FIXED("ERROR_PARALLELS_ZERO_TRACKS", "Invalid image: Zero sectors per track"),
    INSTAR_FIXED("ERROR_PARALLELS_TOO_BIG_CLUSTER", "Invalid image: Too big cluster"),
    INSTAR_FIXED("ERROR_PARALLELS_CATALOG_TOO_LARGE", "Catalog too large"),
    INSTAR_FIXED("ERROR_PARALLELS_EXT_READ",
                 "Failed to read Format Extension cluster: Input/output error"),
    {"ERROR_PARALLELS_EXT_MAGIC",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Wrong parallels Format Extension magic: 0x" + Hex(Arg(e, 0)) +
                   ", expected: 0xab234cef23dcea87";
     }},
    INSTAR_FIXED("ERROR_PARALLELS_EXT_UNSUPPORTED",
                 "instar: parallels Format Extensions (dirty bitmaps) are not supported "
                 "yet"),
    // --- resize: qcow2_co_truncate() and bdrv_co_truncate() (docs/resize.md) ------------------
    INSTAR_FIXED("ERROR_RESIZE_UNALIGNED", "The new size must be a multiple of 512"),
    INSTAR_FIXED("ERROR_RESIZE_V2_SNAPSHOTS", "Can't resize a v2 image which has snapshots"),
    {"ERROR_RESIZE_OVER_MAXIMUM",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "offset(" + std::to_string(static_cast<int64_t>(Arg(e, 0))) +
                   ") exceeds maximum(" + std::to_string(static_cast<int64_t>(Arg(e, 1))) + ")";
     }},
    {"ERROR_RESIZE_GROW_L1",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to grow the L1 table: " + Errno(Arg(e, 0));
     }},
    {"ERROR_RESIZE_DISCARD",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to discard cropped clusters: " + Errno(Arg(e, 0));
     }},
    {"ERROR_RESIZE_SHRINK_L1",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to reduce the number of L2 tables: " + Errno(Arg(e, 0));
     }},
    {"ERROR_RESIZE_SHRINK_REFTABLE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to discard unused refblocks: " + Errno(Arg(e, 0));
     }},
    {"ERROR_RESIZE_LAST_CLUSTER",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to find the last cluster: " + Errno(Arg(e, 0));
     }},
    {"ERROR_RESIZE_UPDATE_SIZE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to update the image size: " + Errno(Arg(e, 0));
     }},
    {"ERROR_RESIZE_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       // instar's own wording: what the guest does not resize yet (guest.proto lists the reasons).
       static constexpr const char* kWhat[] = {
           "this image",           "a qcow2 image with a backing file",
           "a qcow2 image with an external data file", "a qcow2 image with bitmaps",
           "a qcow2 image with autoclear feature bits", "a qcow2 image with the dirty bit",
           "a qcow2 image marked corrupt", "a qcow2 image with this preallocation mode",
           "an encrypted qcow2 image", "an image of this format"};
       const uint64_t why = Arg(e, 0) < sizeof kWhat / sizeof kWhat[0] ? Arg(e, 0) : 0;
       t.message = std::string("resize of ") + kWhat[why] + " is not supported by instar yet";
     }},
    // --- snapshot -c/-d: qcow2-snapshot.c (docs/snapshot.md) -----------------------------------
    INSTAR_FIXED("ERROR_SNAPSHOT_DELETE_NOT_IN_LIST", "Can't find the snapshot"),
    {"ERROR_SNAPSHOT_REMOVE_FROM_LIST",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to remove snapshot from snapshot list: " + Errno(Arg(e, 0));
     }},
    {"ERROR_SNAPSHOT_FREE",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to free the cluster and L1 table: " + Errno(Arg(e, 0));
     }},
    {"ERROR_SNAPSHOT_UPDATE_STATUS",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to update snapshot status in disk: " + Errno(Arg(e, 0));
     }},
    {"ERROR_SNAPSHOT_LOAD_FAILED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Failed to load snapshot: " + Errno(Arg(e, 0));
     }},
    {"ERROR_REFCOUNT_ERRNO",
     [](const guest::Error& e, ErrorText& t) { t.message = Errno(Arg(e, 0)); }},
    {"ERROR_SNAPSHOT_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       // instar's own wording: what the guest does not do yet (guest.proto lists the reasons).
       static constexpr const char* kWhat[] = {"snapshot of this image",
                                               "snapshot of a qcow2 image with an external data file",
                                               "snapshot of a qcow2 image with bitmaps",
                                               "snapshot of a qcow2 image with autoclear feature bits",
                                               "snapshot of a qcow2 image with the dirty bit",
                                               "snapshot of a qcow2 image marked corrupt",
                                               "snapshot of an image of this format",
                                               "snapshot -a",
                                               "snapshot -a of a snapshot whose size or L1 "
                                               "table differs from the image's"};
       const uint64_t why = Arg(e, 0) < sizeof kWhat / sizeof kWhat[0] ? Arg(e, 0) : 0;
       t.message = std::string(kWhat[why]) + " is not supported by instar yet";
     }},
    // --- rebase (docs/rebase.md) ---------------------------------------------------------------
    {"ERROR_REBASE_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       // instar's own wording: what the guest does not rebase yet (guest.proto lists the reasons).
       static constexpr const char* kWhat[] = {"this image",
                                               "this image",
                                               "a qcow2 image with an external data file",
                                               "a qcow2 image with bitmaps",
                                               "a qcow2 image with autoclear feature bits",
                                               "a qcow2 image with the dirty bit",
                                               "a qcow2 image marked corrupt"};
       if (Arg(e, 0) == 11) {
         t.message =
             "rebase without -u that copies data into a qcow2 image whose L2 tables are shared "
             "with a snapshot is not supported by instar yet";
         return;
       }
       if (Arg(e, 0) == 10) {
         t.message =
             "rebase without -u where the old and new backing files differ (safe mode copies "
             "the differing clusters into the image) is not supported by instar yet";
         return;
       }
       const uint64_t why = Arg(e, 0) < sizeof kWhat / sizeof kWhat[0] ? Arg(e, 0) : 0;
       t.message = std::string("rebase of ") + kWhat[why] + " is not supported by instar yet";
     }},
    // --- amend (docs/amend.md) -----------------------------------------------------------------
    {"ERROR_AMEND_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       // instar's own wording: what the guest does not amend yet (guest.proto lists the reasons).
       static constexpr const char* kWhat[] = {
           "amend of this image",
           "amend of this image",
           "amend of a qcow2 image with an external data file",
           "amend of a qcow2 image with bitmaps",
           "amend of a qcow2 image with autoclear feature bits",
           "amend of a qcow2 image with the dirty bit",
           "amend of a qcow2 image marked corrupt",
           "amend of this image",
           "amend of this image",
           "amend of this image",
           "amend -o refcount_bits to a width the image does not have",
           "amend -o size to a size the image does not have",
           "amend -o compat=0.10 of a backed image with zero clusters that have no host cluster",
           "amend -o compat=1.1 of an image whose snapshot table lacks v3's extra data"};
       const uint64_t why = Arg(e, 0) < sizeof kWhat / sizeof kWhat[0] ? Arg(e, 0) : 0;
       t.message = std::string(kWhat[why]) + " is not supported by instar yet";
     }},
    // --- check -r (docs/check.md) ---------------------------------------------------------------
    {"ERROR_CHECK_REPAIR_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       // instar's own wording: what the guest does not repair yet (guest.proto lists the reasons).
       static constexpr const char* kWhat[] = {
           "this image",
           "an image of a format other than qcow2",
           "a qcow2 image with an external data file",
           "a qcow2 image with bitmaps",
           "a qcow2 image with autoclear feature bits",
           "a qcow2 image whose refcount structure must be rebuilt",
           "a qcow2 image with an unaligned preallocated cluster",
           "a qcow2 image with a refcount block outside the image",
           "a qcow2 image whose snapshot table must be repaired"};
       const uint64_t why = Arg(e, 0) < sizeof kWhat / sizeof kWhat[0] ? Arg(e, 0) : 0;
       t.message = std::string("check -r of ") + kWhat[why] + " is not supported by instar yet";
     }},
    {"ERROR_IMAGE_CORRUPT_READ_WRITE",
     [](const guest::Error&, ErrorText& t) {
       t.message = "qcow2: Image is corrupt; cannot be opened read/write";
     }},
    {"ERROR_COMMIT_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       // instar's own wording: what the guest does not commit yet (guest.proto lists the reasons).
       static constexpr const char* kWhat[] = {
           "this image",
           "a top image that is not qcow2",
           "a qcow2 image with an external data file",
           "a qcow2 image with bitmaps",
           "a qcow2 image with autoclear feature bits",
           "a qcow2 image with the dirty bit",
           "a qcow2 image marked corrupt",
           "a base image that is neither qcow2 nor raw",
           "a qcow2 base image smaller than the top image (qemu grows it)",
           "a qcow2 base image whose L2 tables are shared with a snapshot",
           "a top image that qemu empties cluster by cluster (qcow2 v2, snapshots, or an L1 "
           "table too large for one refcount block) without -d",
           "an encrypted image"};
       const uint64_t why = Arg(e, 0) < sizeof kWhat / sizeof kWhat[0] ? Arg(e, 0) : 0;
       t.message = std::string("commit of ") + kWhat[why] + " is not supported by instar yet";
     }},
    {"ERROR_COMMIT_WRITE_FAILED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Could not write to the base image: " + Errno(Arg(e, 0));  // instar's words
     }},
    {"ERROR_REBASE_WRITE_FAILED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = "Error while writing to COW image: " + Errno(Arg(e, 0));
     }},
    // --- convert -n -O qcow2 ------------------------------------------------------------------
    INSTAR_FIXED("ERROR_CONVERT_TARGET_TOO_SMALL", "output file is smaller than input file"),
    {"ERROR_CONVERT_TARGET_UNSUPPORTED",
     [](const guest::Error& e, ErrorText& t) {
       const char* what = "this state";
       switch (Arg(e, 0)) {
         case 2: what = "an external data file"; break;
         case 3: what = "bitmaps"; break;
         case 4: what = "autoclear feature bits"; break;
         case 5: what = "the dirty bit"; break;
         case 6: what = "the corrupt bit"; break;
         case 10: what = "a backing file"; break;
         case 11: what = "snapshots or shared clusters"; break;
         case 12: what = "compressed clusters"; break;
         case 13: what = "overlapping or unaligned metadata"; break;
       }
       t.message = std::string("convert -n onto a qcow2 target with ") + what +
                   " is not supported by instar yet";
     }},
    // --- compare: qcow2_get_host_offset() corruption events, reads, refusals ------------------
    {"ERROR_CORRUPT_L2_TABLE_OFFSET_UNALIGNED",
     [](const guest::Error& e, ErrorText& t) {
       t.preamble = CorruptionEventLine("L2 table offset " + AltHex(Arg(e, 0)) +
                                        " unaligned (L1 index: " + AltHex(Arg(e, 1)) + ")");
       t.message = "Input/output error";
     }},
    {"ERROR_CORRUPT_CLUSTER_OFFSET_UNALIGNED",
     [](const guest::Error& e, ErrorText& t) {
       t.preamble = CorruptionEventLine("Cluster allocation offset " + AltHex(Arg(e, 0)) +
                                        " unaligned (L2 offset: " + AltHex(Arg(e, 1)) +
                                        ", L2 index: " + AltHex(Arg(e, 2) & 0xffffffffu) + ")");
       t.message = "Input/output error";
     }},
    // qcrypto_block_luks_open(): the option is "key-secret" for a raw luks image, under the
    // "encrypt." prefix for a qcow2.
    {"ERROR_ENCRYPTION_KEY_REQUIRED",
     [](const guest::Error& e, ErrorText& t) {
       t.message = std::string("Parameter '") + (Arg(e, 0) == 1 ? "" : "encrypt.") +
                   "key-secret' is required for cipher";
     }},
    {"ERROR_CORRUPT_REFBLOCK_OFFSET_UNALIGNED",
     [](const guest::Error& e, ErrorText& t) {
       t.preamble = CorruptionEventLine("Refblock offset " + AltHex(Arg(e, 0)) +
                                        " unaligned (reftable index: " + AltHex(Arg(e, 1)) + ")");
       t.message = "Input/output error";
     }},
    {"ERROR_CORRUPT_ZERO_CLUSTER_PRE_V3",
     [](const guest::Error& e, ErrorText& t) {
       t.preamble = CorruptionEventLine(
           "Zero cluster entry found in pre-v3 image (L2 offset: " + AltHex(Arg(e, 0)) +
           ", L2 index: " + AltHex(Arg(e, 1) & 0xffffffffu) + ")");
       t.message = "Input/output error";
     }},
    {"ERROR_CORRUPT_INVALID_CLUSTER_ENTRY",
     [](const guest::Error& e, ErrorText& t) {
       t.preamble =
           CorruptionEventLine("Invalid cluster entry found  (L2 offset: " + AltHex(Arg(e, 0)) +
                               ", L2 index: " + AltHex(Arg(e, 1) & 0xffffffffu) + ")");
       t.message = "Input/output error";
     }},
    INSTAR_FIXED("ERROR_DECOMPRESSION_FAILED", "Input/output error"),
    INSTAR_FIXED("ERROR_BACKING_FILE_NOT_SUPPORTED",
                 "instar: images with a backing file are not supported by this command yet"),
    INSTAR_FIXED("ERROR_DATA_FILE_NOT_SUPPORTED",
                 "instar: images with an external data file are not supported by this command yet"),
    // bdrv_refresh_total_sectors(), after the driver opened the image.
    INSTAR_FIXED("ERROR_TOTAL_SECTORS_OVERFLOW",
                 "Could not refresh total sector count: File too large"),
    INSTAR_FIXED("ERROR_LUKS_PAYLOAD_PAST_EOF",
                 "Could not refresh total sector count: Input/output error"),
};

#undef INSTAR_FIXED

}  // namespace

std::string IoFailureText(const guest::Error& e) {
  return e.code() == guest::ERROR_QED_INVALID_OFFSET ? "Invalid argument" : "Input/output error";
}

ErrorText GuestErrorText(const guest::Error& e) {
  ErrorText t;
  if (e.code() == guest::ERROR_NONE) return t;
  const std::string& name = guest::ErrorCode_Name(e.code());
  for (const Rule& rule : kRules) {
    if (rule.code == name) {
      rule.render(e, t);
      return t;
    }
  }
  // A code newer than this table: say so rather than print a wrong qemu message.
  t.message = "instar: unknown guest error code " + std::to_string(static_cast<int>(e.code()));
  return t;
}

std::string ProgramName(std::string_view argv0) {
  const size_t slash = argv0.rfind('/');
  return std::string(slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1));
}

std::string DiagnosticLine(std::string_view program, std::string_view message) {
  std::string out(program);
  out += ": ";
  out += message;
  out += '\n';
  return out;
}

std::string OpenErrorText(std::string_view program, std::string_view filename,
                          const ErrorText& text) {
  std::string msg = "Could not open '";
  msg += filename;
  msg += "': ";
  msg += text.message;
  if (text.quotes_image) {
    msg += filename;
    msg += text.after_image;
  }
  std::string reports;
  for (size_t at = 0; at < text.reports.size();) {
    const size_t end = text.reports.find('\n', at);
    reports += DiagnosticLine(program, text.reports.substr(at, end - at));
    at = end == std::string::npos ? text.reports.size() : end + 1;
  }
  std::string hint = text.hint;
  if (text.hint_quotes_image) {
    hint += filename;
    hint += text.hint_after_image;
  }
  return text.preamble + reports + DiagnosticLine(program, msg) + hint;
}

std::string CorruptionEventLine(std::string_view event) {
  constexpr std::string_view kLead = "Image is corrupt: ";
  if (event.substr(0, kLead.size()) == kLead) event.remove_prefix(kLead.size());
  std::string out = "qcow2: Image is corrupt: ";
  out += event;
  out += "; further non-fatal corruption events will be suppressed\n";
  return out;
}

std::string BitmapsIgnoredWarning(std::string_view program, uint32_t qcow2_version) {
  const char* what = qcow2_version < 3
                         ? "This qcow2 v2 image contains bitmaps, but they may have been modified "
                           "by a program without persistent bitmap support; so now they must all "
                           "be considered inconsistent"
                         : "a program lacking bitmap support modified this file, so all bitmaps "
                           "are now considered inconsistent";
  std::string out(program);
  out += ": warning: ";
  out += what;
  out += "\nSome clusters may be leaked, run 'qemu-img check -r' on the image file to fix.";
  return out;
}

}  // namespace instar::render
