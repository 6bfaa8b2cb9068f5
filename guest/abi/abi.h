// abi.h: THE host<->guest contract of instar (boot info, devices, op config, hypercalls).
//
// Rules for this header (Solo5 hvt_abi.h style):
//  - Self-contained and freestanding: only <stdint.h>/<stddef.h> and <type_traits>. It is compiled
//    unchanged into the freestanding KVM guest, the hosted process-sandbox guest, the engine, the
//    unit tests and the fuzzers, so a layout mismatch breaks the build on every side.
//  - Fixed-width fields only: no pointers, size_t, bool, bitfields or enums without an underlying
//    type. Guest-physical addresses are plain uint64_t `*_gpa` fields; the host only ever reaches
//    guest memory through its bounds-checked translation (engine/vmm/guest_memory.h).
//  - Every shared field says who writes it: IN = guest -> host, OUT = host -> guest. Host-written
//    inputs (BootInfo, OpConfig) live on pages the guest sees read-only.
//  - BootInfo is append-only. Bump kAbiVersion on any incompatible change; new optional behaviour
//    is negotiated through the feature words instead.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <type_traits>

namespace instar::abi {

// 2: 64 devices, OpConfig chain tables. 3: guest.proto carries no guest-worded text (check lines
// and errors are codes, numbers and image names; the host renders every word). OpConfig's
// appended convert tables need no bump: its size is checked on both sides. 5: Op::kResize and
// the ResizeResult message. 6: ImageFormat::kVdi; Op::kSnapshot and the SnapshotResult message;
// convert's dd mode (kConvertDd); Op::kRebase and the RebaseResult message. 7: ChainLink's
// allocated_bytes (and extent maps for qcow2 files), 128 devices; ImageFormat::kLuks;
// ImageFormat::kQed (FORMAT_QED, ImageInfo.qed); ImageFormat::kVpc (FORMAT_VPC, ERROR_VPC_*
// 270-289); Op::kAmend and the AmendResult message, OpConfig's amend block; safe rebase copies data
// (ERROR_REBASE_WRITE_FAILED 310, RebaseResult.read_failure, the prefix chain index in
// rebase_flags). 8: convert --salvage (kConvertSalvage, the ConvertSalvaged message); convert -n
// -O qcow2 (convert_target_file_length, CONVERT_TARGET_OPEN_FAILED, ERROR_CONVERT_TARGET_*
// 470-479); ImageFormat::kVhdx (FORMAT_VHDX, ERROR_VHDX_* 390-419, CHECK_LINE_VHDX_* 240-259),
// Error.args up to 4; check -r (OpConfig's repair block, CheckResult's
// *_fixed, CHECK_LINE_REPAIR_* 220-229, ERROR_CHECK_REPAIR_UNSUPPORTED 350); Op::kCommit
// (the CommitResult message, OpConfig's commit block, ERROR_COMMIT_* 370-389); ImageFormat kQcow
// 9, kParallels 10, kBochs 11, kCloop 12, ImageInfo.qcow, ERROR_QCOW1_* / ERROR_PARALLELS_* /
// ERROR_BOCHS_* / ERROR_CLOOP_* 420-469, CHECK_LINE_PARALLELS_* 260-279.
inline constexpr uint32_t kAbiVersion = 8;

// ---------------------------------------------------------------------------------------------
// ELF note carried by the guest ELF (section .note.instar), checked by the host before loading.
// Note name "INSTAR\0\0" (8 bytes incl. padding), type kElfNoteType, descriptor AbiNote.
inline constexpr uint32_t kElfNoteType = 0x494e5354;  // "INST"
inline constexpr char kElfNoteName[] = "INSTAR";
inline constexpr uint32_t kAbiNoteMagic = 0x1e57a42bu;

struct AbiNote {
  uint32_t magic;              // kAbiNoteMagic
  uint32_t abi_version;        // kAbiVersion the guest was built against
  uint64_t required_features;  // HostFeature bits the guest cannot run without
};

// ---------------------------------------------------------------------------------------------
// Guest-physical memory map of the KVM backend (identity mapped, 4-level paging, long mode).
//
//   0x000000 - 0x000fff  null page                 not present
//   0x001000 - 0x001fff  GDT                       host-only: not present to the guest
//   0x002000 - 0x007fff  PML4, PDPT, PD, PT pages  host-only: not present to the guest
//   0x010000 - 0x010fff  BootInfo                  read-only to the guest
//   0x011000 - 0x01ffff  OpConfig                  read-only to the guest
//   0x020000 - 0x0fffff  free (unmapped)           not present
//   0x100000 - ...       guest ELF (text, data, bss), then arena, then stack    read-write
//
// The first 2 MiB are mapped with 4 KiB pages so the protections above are exact; memory above
// 2 MiB uses 2 MiB pages. Guest memory is at most kMaxGuestMemory.
inline constexpr uint64_t kPageSize = 0x1000;
inline constexpr uint64_t kGdtGpa = 0x1000;
inline constexpr uint64_t kPml4Gpa = 0x2000;
inline constexpr uint64_t kPdptGpa = 0x3000;
inline constexpr uint64_t kPdGpa = 0x4000;
inline constexpr uint64_t kPtGpa = 0x5000;
inline constexpr uint64_t kHostOnlyEnd = 0x8000;
inline constexpr uint64_t kBootInfoGpa = 0x10000;
inline constexpr uint64_t kOpConfigGpa = 0x11000;
inline constexpr uint64_t kOpConfigMaxSize = 0xf000;
inline constexpr uint64_t kReadOnlyEnd = 0x20000;
inline constexpr uint64_t kGuestLoadBase = 0x100000;
inline constexpr uint64_t kMinGuestMemory = 4ull << 20;
inline constexpr uint64_t kMaxGuestMemory = 1ull << 30;  // one page directory of 2 MiB pages
inline constexpr uint64_t kGuestStackSize = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Devices: block devices the host opened for the guest. The guest never names files.
// compare needs two chains of up to kMaxChainImages images, each with up to two auxiliary
// devices (a qcow2's external data file, and the extent map of the file holding its data, or a
// raw file's extent map): 2 * 3 * 16 = 96, rounded up to a power of two.
inline constexpr uint32_t kMaxDevices = 128;
// A device index that names no device (OpConfig fields that may be absent).
inline constexpr uint32_t kNoDevice = 0xffffffffu;

enum DeviceFlags : uint32_t {
  kDeviceReadable = 1u << 0,
  kDeviceWritable = 1u << 1,  // only output devices; inputs are never writable
};

struct DeviceInfo {
  uint64_t capacity;  // OUT bytes; reads/writes must stay within [0, capacity)
  uint32_t flags;     // OUT DeviceFlags
  uint32_t reserved;  // OUT zero
};

// ---------------------------------------------------------------------------------------------
// Feature words. Host features say what the monitor offers; guest features what the guest uses.
enum HostFeature : uint64_t {
  kHostFeatureBatchedRead = 1ull << 0,  // Hypercall::kBlockReadv is available
};

inline constexpr uint32_t kBootInfoMagic = 0x696e7374;  // "inst"

// Written by the host at kBootInfoGpa (KVM) or handed over a pipe (process backend). Append-only.
struct BootInfo {
  uint32_t magic;                   // OUT kBootInfoMagic
  uint32_t abi_version;             // OUT kAbiVersion of the host
  uint32_t size;                    // OUT sizeof(BootInfo) as the host knows it
  uint32_t device_count;            // OUT valid entries in devices[]
  uint64_t host_features;           // OUT HostFeature bits
  uint64_t memory_size;             // OUT bytes of guest memory (KVM) or 0 (process)
  uint64_t arena_gpa;               // OUT first byte of the arena (KVM); 0 in the process backend
  uint64_t arena_size;              // OUT bytes of arena the guest may use
  uint64_t op_config_gpa;           // OUT where OpConfig is (KVM); 0 in the process backend
  uint64_t op_config_size;          // OUT bytes of OpConfig
  uint64_t max_message_size;        // OUT largest message the host accepts, bytes
  uint64_t max_read_size;           // OUT largest single read (and batched-read total), bytes
  DeviceInfo devices[kMaxDevices];  // OUT
};

// ---------------------------------------------------------------------------------------------
// The operation the guest runs, written by the host.
enum class Op : uint32_t {
  kNone = 0,
  kInfo = 1,  // describe devices[input_device[0]]
  kCheck = 2,
  kCompare = 3,
  kConvert = 4,  // convert the inputs in convert_chain[] onto output_device (docs/convert.md)
  kMap = 5,      // block status extents of input 0's chain over [map_start, map_start + map_length)
  kMeasure = 6,  // measure input 0 (chain tables as compare's) for a target cluster size
  kCreate = 7,   // create a qcow2 image of output_size bytes on output_device (docs/create.md)
  kResize = 8,   // resize the image on output_device in place (docs/resize.md)
  kSnapshot = 9,  // create/apply/delete an internal snapshot of output_device (docs/snapshot.md)
  kRebase = 10,   // change the backing file of the image on output_device (docs/rebase.md)
  kCommit = 11,   // commit input 0's top into a backing file of its chain (docs/commit.md)
  kAmend = 12,    // amend the qcow2 options of the image on output_device (docs/amend.md)
  // Test-only operations exist only in the hostile test guest; the production guest refuses them.
  kTestFirst = 0x1000,
  kTestGpaOutsideMemory = 0x1000,
  kTestWriteInputDevice = 0x1001,
  kTestReadPastCapacity = 0x1002,
  kTestSpinForever = 0x1003,
  kTestUnknownPort = 0x1004,
  kTestMmioAccess = 0x1005,
  kTestOversizedMessage = 0x1006,
  kTestGarbageMessage = 0x1007,
  kTestForbiddenSyscall = 0x1008,  // process backend: openat/socket/execve -> SIGSYS
  kTestBadDevice = 0x1009,
};

enum class ImageFormat : uint32_t {
  kProbe = 0,  // detect: qcow2 by magic, else raw (subject to the host's safe-detection policy)
  kRaw = 1,
  kQcow2 = 2,
  kVmdk = 3,
  kVdi = 4,
  kVpc = 5,
  kQed = 6,
  kLuks = 7,  // raw LUKS v1 (qemu's block/crypto.c)
  kVhdx = 8,  // read-only (qemu's block/vhdx.c)
  // small-formats: read-only inputs (docs/formats.md)
  kQcow = 9,  // qcow v1 (block/qcow.c)
  kParallels = 10,
  kBochs = 11,
  kCloop = 12,
};

enum OpFlags : uint32_t {
  kOpFlagStrict = 1u << 0,  // compare -s
  // info: open the image as qemu-img info's BDRV_O_NO_IO open does in releases with the
  // CVE-2024-4467 fix, which skips qcow2_do_open's whole data-file step (its checks included).
  kOpFlagNoIo = 1u << 1,
};

// convert's options (qemu-img convert flags the guest acts on).
enum ConvertFlags : uint32_t {
  kConvertProgress = 1u << 0,      // -p (and not -q): emit ConvertProgress messages
  kConvertSkipCreate = 1u << 1,    // -n: the output exists; it is not known to read as zeros
  kConvertTargetIsZero = 1u << 2,  // --target-is-zero (only with -n)
  kConvertCompress = 1u << 3,      // -c
  kConvertOutOfOrder = 1u << 4,    // -W (instar still writes in order: a valid -W outcome)
  kConvertFlush = 1u << 5,         // the cache mode flushes the output at the end (not unsafe)
  kConvertCopyRange = 1u << 6,     // -C: data chunks go through copy offloading (no zero detection)
  // Open the inputs and load the -l snapshot, then stop (CONVERT_DONE): the host's check before
  // it creates or truncates the target, which qemu never touches when the load fails.
  kConvertOpenOnly = 1u << 7,
  // dd (docs/dd.md): copy [dd_input_offset, + dd_length) of the single input onto the start of a
  // new output_device of output_size bytes, every block written (no zero detection, no block
  // status), as img_dd's blk_pread / blk_pwrite loop does.
  kConvertDd = 1u << 8,
  // --salvage: a sector whose block status or read fails with an I/O failure is reported
  // (ConvertSalvaged) and copied as zeros instead of ending the conversion.
  kConvertSalvage = 1u << 9,
};

// Inputs of one convert (qemu-img takes any number; the device table bounds them anyway).
inline constexpr uint32_t kMaxConvertInputs = 8;

// Images in one backing chain, top included (the host's walk refuses deeper chains).
inline constexpr uint32_t kMaxChainImages = 16;

// One image of an input's backing chain, as the host opened it (docs/chains.md).
struct ChainLink {
  uint32_t device;           // OUT the image file
  uint32_t format;           // OUT ImageFormat to open it with (-f/-F, the parent's backing format,
                             //     or probe)
  uint32_t data_device;      // OUT a qcow2's external data file, or kNoDevice
  uint32_t extent_device;    // OUT the data-extent map (compare_extents.h) of the file holding the
                             //     layer's data (a qcow2's external data file, if it has one), or
                             //     kNoDevice
  uint64_t allocated_bytes;  // OUT with extent_device: the image file's st_blocks * 512, what
                             //     qemu's bdrv_get_allocated_file_size() reads (qcow2's metadata
                             //     preallocation test), or kAllocationUnknown
};

// ChainLink.allocated_bytes when fstat() failed: bdrv_get_allocated_file_size() failing.
inline constexpr uint64_t kAllocationUnknown = ~uint64_t{0};

// The longest names create passes: qcow2 refuses backing names over 1023 bytes itself, so one
// byte more still lets the guest give qemu's error.
inline constexpr uint32_t kCreateNameMax = 1024;
inline constexpr uint32_t kSnapshotSelectorMax = 1024;

// Append-only: fields are added at the end and sizeof(OpConfig) is checked on both sides.
struct OpConfig {
  uint32_t op;               // OUT Op
  uint32_t flags;            // OUT OpFlags
  uint32_t input_device[2];  // OUT device index of each input image
  uint32_t input_format[2];  // OUT ImageFormat requested with -f / -F
  uint32_t test_arg;         // OUT parameter of test-only ops (e.g. syscall selector)
  uint32_t reserved;         // OUT zero
  // compare: input i's chain, top first (chain[i][0] describes input_device[i] and must agree
  // with it); chain_length[i] == 0 means the host sent no chain: the input is opened alone and
  // a backing file or data file it declares is an error.
  uint32_t chain_length[2];             // OUT at most kMaxChainImages
  ChainLink chain[2][kMaxChainImages];  // OUT
  // convert (appended): input i is convert_chain[i][0..convert_chain_length[i]), top
  // first, as compare's chain tables; the inputs are concatenated in order onto output_device
  // (writable, capacity = what the host bounded the output to) in format output_format.
  uint32_t convert_input_count;  // OUT 1..kMaxConvertInputs
  uint32_t convert_flags;        // OUT ConvertFlags
  uint32_t output_device;        // OUT device index of the output (kDeviceWritable)
  uint32_t output_format;        // OUT ImageFormat of the output (kRaw or kQcow2)
  uint64_t output_size;          // OUT the target's virtual size in bytes (sum of the inputs)
  uint32_t min_sparse_sectors;   // OUT -S in 512-byte sectors; 0 disables zero detection
  uint32_t reserved2;            // OUT zero
  uint32_t convert_chain_length[kMaxConvertInputs];             // OUT 1..kMaxChainImages
  ChainLink convert_chain[kMaxConvertInputs][kMaxChainImages];  // OUT
  // map: img_map's --start-offset and --max-length (kMapNoMaxLength: none), both at most
  // INT64_MAX as qemu's cvtnum allows.
  uint64_t map_start;   // OUT
  uint64_t map_length;  // OUT
  // measure: the target's cluster size; the guest counts input 0's allocated data in clusters of
  // this size and sizes its bitmaps for it. 0: only the input's length is wanted (a raw target).
  uint64_t measure_cluster_size;  // OUT
  // convert -O qcow2 (appended): the creation options (-o) the guest's Qcow2Writer::create()
  // checks as qcow2_co_create() does; the host passes values that do not fit as invalid ones.
  uint32_t qcow2_cluster_size;      // OUT bytes (default 65536)
  uint32_t qcow2_refcount_bits;     // OUT (default 16)
  uint32_t qcow2_create_flags;      // OUT Qcow2CreateFlags
  uint32_t qcow2_compression_type;  // OUT 0 zlib, 1 zstd (the header's compression_type)
  // convert -B / -o backing_file (appended, kept together): the target's backing file. With
  // kConvertTargetHasBacking, unallocated input ranges are left to it; a created qcow2 target
  // records the name and format (lengths over the buffers say "too long", as qemu's checks do)
  // and reads the backing chain the host opened (convert_backing_chain_length 0: none, -n).
  uint32_t convert_backing_flags;                    // OUT ConvertBackingFlags
  uint32_t convert_backing_name_length;              // OUT bytes of the name (<= 1024 stored)
  uint32_t convert_backing_fmt_length;               // OUT bytes of the format (<= 32 stored)
  uint32_t convert_backing_chain_length;             // OUT 0..kMaxChainImages
  ChainLink convert_backing_chain[kMaxChainImages];  // OUT the backing file first
  uint8_t convert_backing_name[1024];                // OUT
  uint8_t convert_backing_fmt[32];                   // OUT
  // convert -O qcow2 -o preallocation (appended with the backing fields).
  uint32_t convert_qcow2_preallocation;  // OUT Qcow2Prealloc
  uint32_t reserved3;                    // OUT zero
  // create -f qcow2 (appended): the data file name the header records (bytes, no NUL; length 0:
  // not given) and -o preallocation. The backing name and format come in the convert_backing_*
  // fields above (kConvertBackingName / kConvertBackingFmt), the other options in qcow2_*.
  uint32_t create_data_file_length;          // OUT at most kCreateNameMax
  uint32_t create_preallocation;             // OUT Qcow2Prealloc
  uint8_t create_data_file[kCreateNameMax];  // OUT
  // convert -l / measure -l (appended): input 0's top image is read at one of its internal
  // snapshots (bdrv_snapshot_load_tmp()), selected as SnapshotSelect says; ids and names are
  // bytes without a NUL, at most kSnapshotSelectorMax (the host refuses longer ones).
  uint32_t snapshot_select;                     // OUT SnapshotSelect
  uint32_t snapshot_flags;                      // OUT SnapshotSelectFlags (kSnapshotIdAndName)
  uint32_t snapshot_id_length;                  // OUT bytes of snapshot_id
  uint32_t snapshot_name_length;                // OUT bytes of snapshot_name
  uint8_t snapshot_id[kSnapshotSelectorMax];    // OUT
  uint8_t snapshot_name[kSnapshotSelectorMax];  // OUT
  // resize (appended): img_resize's operand and options. The image is output_device (writable,
  // opened read-write by the host from the command-line name), opened as input_format[0].
  uint64_t resize_size;           // OUT the size operand's number (qemu_opt_get_size)
  uint64_t resize_file_length;    // OUT the image file's length when the host opened it
  uint32_t resize_relative;       // OUT ResizeRelative: the operand's '+' or '-'
  uint32_t resize_flags;          // OUT ResizeFlags
  uint32_t resize_preallocation;  // OUT 0 off, 1 metadata, 2 falloc, 3 full (--preallocation)
  uint32_t reserved4;             // OUT zero
  // snapshot -c/-a/-d (appended): img_snapshot's action on output_device (writable, opened
  // read-write by the host from the command-line name, probed as input_format[0] says). The
  // NAME operand is in snapshot_name/snapshot_name_length above (snapshot_select kSnapshotNone).
  uint32_t snapshot_action;       // OUT SnapshotAction
  uint32_t snapshot_date_sec;     // OUT -c: the host's clock (g_get_real_time() seconds)
  uint32_t snapshot_date_nsec;    // OUT -c: its microseconds times 1000
  uint32_t reserved5;             // OUT zero
  uint64_t snapshot_file_length;  // OUT the image file's length when the host opened it
  // dd (appended, with kConvertDd): skip * bs (in_pos) and the bytes copied from there; the
  // output's virtual size (output_size) is dd_length rounded up to 512, as the drivers create it.
  uint64_t dd_input_offset;  // OUT
  uint64_t dd_length;        // OUT
  // rebase (appended): the image is output_device (writable, opened read-write by the host from
  // the command-line name), opened as input_format[0]. The new backing name and format come in
  // convert_backing_name/_fmt (a name of 1024 bytes stands for any name over qcow2's 1023).
  uint64_t rebase_file_length;  // OUT the image file's length when the host opened it
  uint32_t rebase_flags;        // OUT RebaseFlags
  uint32_t reserved6;           // OUT zero
  // amend (appended): qcow2_amend_options()'s options, already parsed and checked by the host
  // (AmendFlags says which were given). The image is output_device (writable, opened read-write
  // by the host from the command-line name), opened as input_format[0]. A backing_file or
  // backing_fmt option comes in convert_backing_name/_fmt (kAmendBackingFile/kAmendBackingFmt).
  uint64_t amend_file_length;    // OUT the image file's length when the host opened it
  uint32_t amend_flags;          // OUT AmendFlags
  uint32_t amend_version;        // OUT compat: 2 or 3 (0: not given)
  uint32_t amend_refcount_bits;  // OUT refcount_bits (a power of two up to 64), with its flag
  uint32_t reserved7;            // OUT zero
  uint64_t amend_size;           // OUT size, with kAmendSize (only the image's own is amended)
  // convert -n -O qcow2 (appended): the existing target's file length when the host opened it
  // read-write (output_device); 0 for every other convert.
  uint64_t convert_target_file_length;  // OUT
  // repair (appended): check -r. Non-zero check_repair (CheckRepair bits, qemu's BdrvCheckMode)
  // makes kCheck repair the image on output_device (writable, opened read-write by the host from
  // the command-line name) as qemu-img check -r does (docs/check.md).
  uint32_t check_repair;  // OUT CheckRepair
  uint32_t reserved8;     // OUT zero
  // commit (appended): the top is output_device (writable unless kCommitDrop; opened read-write
  // by the host from the command-line name) with its chain in chain[0] (links[0] is the top).
  // The base is chain image commit_base_index (>= 1), written through commit_base_device: a
  // writable device the host opened on the very file of that chain image.
  uint64_t commit_top_length;   // OUT the top file's length when the host opened it
  uint64_t commit_base_length;  // OUT the base file's length when the host opened it
  uint32_t commit_flags;        // OUT CommitFlags
  uint32_t commit_base_index;   // OUT the base's index in chain[0]
  uint32_t commit_base_device;  // OUT the base's writable device
  uint32_t reserved9;           // OUT zero
};

// check -r: qemu's BDRV_FIX_LEAKS and BDRV_FIX_ERRORS (-r leaks: kRepairLeaks; -r all: both).
enum CheckRepair : uint32_t {
  kRepairLeaks = 1u << 0,
  kRepairErrors = 1u << 1,
};

// What `snapshot` does to the image (img_snapshot's action; kSnapshotOpen: no action given,
// the image is only opened read-write and closed).
enum SnapshotAction : uint32_t {
  kSnapshotOpen = 0,
  kSnapshotCreate = 1,
  kSnapshotApply = 2,
  kSnapshotDelete = 3,
};

enum ResizeRelative : uint32_t { kResizeAbsolute = 0, kResizeGrowBy = 1, kResizeShrinkBy = 2 };

enum ResizeFlags : uint32_t {
  kResizeShrink = 1u << 0,  // --shrink
};

enum RebaseFlags : uint32_t {
  kRebaseUnsafe = 1u << 0,     // -u: the old backing chain is not opened
  kRebaseNewName = 1u << 1,    // -b names a backing file (not given or "": remove it)
  kRebaseNewFormat = 1u << 2,  // -F given with a non-empty -b
  kRebaseOpenOnly = 1u << 3,   // open and check the image, change nothing (the host refuses next)
};
// Safe mode: bits 8-15 of rebase_flags give the index in the image's old chain (op.chain[0]) of
// the image the new backing file is (qemu's prefix_chain_bs from bdrv_find_backing_image()); 0:
// it is not in that chain.
inline constexpr uint32_t kRebasePrefixShift = 8;
inline constexpr uint32_t kRebasePrefixMask = 0xffu << kRebasePrefixShift;

enum AmendFlags : uint32_t {
  kAmendOpenOnly = 1u << 0,      // open and check the image, change nothing (the host refuses next)
  kAmendLazyGiven = 1u << 1,     // lazy_refcounts given; its value is kAmendLazyOn
  kAmendLazyOn = 1u << 2,        //
  kAmendRefcountBits = 1u << 3,  // refcount_bits given (amend_refcount_bits)
  kAmendBackingFile = 1u << 4,   // backing_file given (convert_backing_name)
  kAmendBackingFmt = 1u << 5,    // backing_fmt given (convert_backing_fmt)
  kAmendSize = 1u << 6,          // size given (amend_size)
};

enum CommitFlags : uint32_t {
  kCommitDrop = 1u << 0,      // -d or -b: the top is not emptied (and is not writable)
  kCommitOpenOnly = 1u << 1,  // open and check the top, change nothing (the host refuses next)
};

// How OpConfig's snapshot fields select a snapshot.
enum SnapshotSelect : uint32_t {
  kSnapshotNone = 0,
  kSnapshotIdAndName = 1,  // -l snapshot.id=..,snapshot.name=..: those given must both match
  kSnapshotIdOrName = 2,   // -l NAME: snapshot_name as an id first, then as a name
};

enum SnapshotSelectFlags : uint32_t {
  kSnapshotHasId = 1u << 0,    // snapshot_id is given
  kSnapshotHasName = 1u << 1,  // snapshot_name is given
};

// -o preallocation of a qcow2 target. falloc and full lay the data area out as qcow2_co_truncate()
// does; the guest reports that area of the file (ConvertResult.prealloc_*), the host allocates it
// (falloc) or fills it with zeros (full): the guest never asks for more than a range.
enum Qcow2Prealloc : uint32_t {
  kQcow2PreallocOff = 0,
  kQcow2PreallocMetadata = 1,
  kQcow2PreallocFalloc = 2,
  kQcow2PreallocFull = 3,
};

// convert's backing-file flags.
enum ConvertBackingFlags : uint32_t {
  kConvertTargetHasBacking = 1u << 0,  // s.target_has_backing: -B, or -o backing_file
  kConvertBackingName = 1u << 1,       // create: the header names convert_backing_name
  kConvertBackingFmt = 1u << 2,        // create: the header records convert_backing_fmt
};

// convert -O qcow2's boolean creation options.
enum Qcow2CreateFlags : uint32_t {
  kQcow2CompatV2 = 1u << 0,       // compat=0.10 (version 2); else compat=1.1
  kQcow2LazyRefcounts = 1u << 1,  // lazy_refcounts=on
  kQcow2ExtendedL2 = 1u << 2,     // extended_l2=on
  kQcow2DataFileRaw = 1u << 3,    // data_file_raw=on (create)
};

inline constexpr uint64_t kMapNoMaxLength = UINT64_MAX;

// ---------------------------------------------------------------------------------------------
// Hypercalls: the guest writes the 32-bit GPA of the argument struct with a 4-byte OUT to port
// kHypercallPortBase + Hypercall. Any other port, width or direction ends the VM.
inline constexpr uint16_t kHypercallPortBase = 0x500;

enum class Hypercall : uint32_t {
  kReserved = 0,
  kBlockRead = 1,
  kBlockReadv = 2,
  kBlockWrite = 3,
  kBlockFlush = 4,
  kEmitMessage = 5,
  kExit = 6,
  kMax = 7,
};

// Result of a hypercall, in the `status` OUT field.
enum HypercallStatus : int32_t {
  kHcOk = 0,
  kHcInvalid = 1,   // bad device index, GPA, length or alignment
  kHcRange = 2,     // offset + length beyond device capacity
  kHcReadOnly = 3,  // write to a device without kDeviceWritable
  kHcIo = 4,        // the host's I/O failed
  kHcTooLarge = 5,  // length above max_read_size / max_message_size
};

struct HcBlockRead {    // also HcBlockWrite
  uint32_t device;      // IN device index
  int32_t status;       // OUT HypercallStatus
  uint64_t offset;      // IN byte offset in the device
  uint64_t buffer_gpa;  // IN guest buffer
  uint64_t length;      // IN bytes
};
using HcBlockWrite = HcBlockRead;

inline constexpr uint32_t kMaxReadvExtents = 256;

struct ReadExtent {
  uint64_t offset;      // IN byte offset in the device
  uint64_t buffer_gpa;  // IN guest buffer
  uint64_t length;      // IN bytes
};

struct HcBlockReadv {
  uint32_t device;       // IN device index
  uint32_t count;        // IN extents, at most kMaxReadvExtents
  uint64_t extents_gpa;  // IN array of `count` ReadExtent
  int32_t status;        // OUT HypercallStatus (all or nothing)
  uint32_t reserved;     // IN zero
};

struct HcBlockFlush {
  uint32_t device;  // IN device index
  int32_t status;   // OUT HypercallStatus
};

struct HcEmitMessage {
  uint64_t data_gpa;  // IN encoded GuestMessage (protobuf)
  uint64_t length;    // IN bytes, at most BootInfo::max_message_size
  int32_t status;     // OUT HypercallStatus
  uint32_t reserved;  // IN zero
};

struct HcExit {
  int32_t status;     // IN 0 = the op ran to completion (its result is in the messages)
  uint32_t reserved;  // IN zero
};

// ---------------------------------------------------------------------------------------------
// Process backend framing: the guest writes each message to the message fd as a little-endian
// uint32 length followed by that many bytes; an exit is a frame of length kExitFrame followed by
// an int32 status.
inline constexpr uint32_t kExitFrame = 0xffffffffu;

// File descriptors of the process backend's guest helper (set up by the launcher before exec).
inline constexpr int kProcessBootFd = 3;         // BootInfo + OpConfig, read once before seccomp
inline constexpr int kProcessMessageFd = 4;      // framed messages, write-only
inline constexpr int kProcessFirstDeviceFd = 5;  // device i is fd kProcessFirstDeviceFd + i

// ---------------------------------------------------------------------------------------------
// Layout checks, compiled on both sides.
#define INSTAR_ABI_CHECK(T, size_)                                           \
  static_assert(sizeof(T) == (size_), #T " size changed: bump kAbiVersion"); \
  static_assert(std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>, #T)

INSTAR_ABI_CHECK(AbiNote, 16);
INSTAR_ABI_CHECK(DeviceInfo, 16);
INSTAR_ABI_CHECK(BootInfo, 80 + 16 * kMaxDevices);
INSTAR_ABI_CHECK(ChainLink, 24);
INSTAR_ABI_CHECK(OpConfig, 40 + 2 * 24 * kMaxChainImages + 32 + 4 * kMaxConvertInputs +
                               24 * kMaxConvertInputs * kMaxChainImages + 16 + 8 + 16 +
                               /* convert backing */ 16 + 24 * kMaxChainImages + 1024 + 32 + 8 +
                               /* create */ 8 + kCreateNameMax +
                               /* snapshot */ 16 + 2 * kSnapshotSelectorMax + /* resize */ 32 +
                               /* snapshot -c/-a/-d */ 24 + /* dd */ 16 + /* rebase */ 16 +
                               /* amend */ 32 + /* convert -n -O qcow2 */ 8 + /* repair */ 8 +
                               /* commit */ 32);
INSTAR_ABI_CHECK(HcBlockRead, 32);
INSTAR_ABI_CHECK(ReadExtent, 24);
INSTAR_ABI_CHECK(HcBlockReadv, 24);
INSTAR_ABI_CHECK(HcBlockFlush, 8);
INSTAR_ABI_CHECK(HcEmitMessage, 24);
INSTAR_ABI_CHECK(HcExit, 8);

static_assert(offsetof(AbiNote, required_features) == 8);
static_assert(offsetof(BootInfo, abi_version) == 4);
static_assert(offsetof(BootInfo, size) == 8);
static_assert(offsetof(BootInfo, device_count) == 12);
static_assert(offsetof(BootInfo, host_features) == 16);
static_assert(offsetof(BootInfo, memory_size) == 24);
static_assert(offsetof(BootInfo, arena_gpa) == 32);
static_assert(offsetof(BootInfo, arena_size) == 40);
static_assert(offsetof(BootInfo, op_config_gpa) == 48);
static_assert(offsetof(BootInfo, op_config_size) == 56);
static_assert(offsetof(BootInfo, max_message_size) == 64);
static_assert(offsetof(BootInfo, max_read_size) == 72);
static_assert(offsetof(BootInfo, devices) == 80);
static_assert(offsetof(DeviceInfo, flags) == 8);
static_assert(offsetof(OpConfig, flags) == 4);
static_assert(offsetof(OpConfig, input_device) == 8);
static_assert(offsetof(OpConfig, input_format) == 16);
static_assert(offsetof(OpConfig, test_arg) == 24);
static_assert(offsetof(OpConfig, chain_length) == 32);
static_assert(offsetof(OpConfig, chain) == 40);
static_assert(offsetof(OpConfig, convert_input_count) == 808);
static_assert(offsetof(OpConfig, output_size) == 824);
static_assert(offsetof(OpConfig, convert_chain_length) == 840);
static_assert(offsetof(OpConfig, convert_chain) == 872);
static_assert(offsetof(OpConfig, map_start) == 872 + 24 * kMaxConvertInputs * kMaxChainImages);
static_assert(offsetof(OpConfig, qcow2_cluster_size) ==
              offsetof(OpConfig, measure_cluster_size) + 8);
static_assert(offsetof(OpConfig, qcow2_compression_type) ==
              offsetof(OpConfig, measure_cluster_size) + 20);
static_assert(offsetof(OpConfig, create_data_file) == offsetof(OpConfig, reserved3) + 12);
static_assert(offsetof(OpConfig, snapshot_select) ==
              offsetof(OpConfig, create_data_file) + kCreateNameMax);
static_assert(offsetof(OpConfig, resize_size) ==
              offsetof(OpConfig, snapshot_name) + kSnapshotSelectorMax);
static_assert(offsetof(OpConfig, snapshot_action) == offsetof(OpConfig, reserved4) + 4);
static_assert(offsetof(OpConfig, snapshot_file_length) == offsetof(OpConfig, snapshot_action) + 16);
static_assert(offsetof(OpConfig, dd_input_offset) == offsetof(OpConfig, snapshot_file_length) + 8);
static_assert(offsetof(OpConfig, rebase_file_length) == offsetof(OpConfig, dd_length) + 8);
static_assert(offsetof(OpConfig, amend_file_length) == offsetof(OpConfig, reserved6) + 4);
static_assert(offsetof(OpConfig, convert_target_file_length) == offsetof(OpConfig, amend_size) + 8);
static_assert(offsetof(OpConfig, check_repair) ==
              offsetof(OpConfig, convert_target_file_length) + 8);
static_assert(offsetof(OpConfig, commit_top_length) == offsetof(OpConfig, reserved8) + 4);
static_assert(offsetof(ChainLink, format) == 4);
static_assert(offsetof(ChainLink, data_device) == 8);
static_assert(offsetof(ChainLink, extent_device) == 12);
static_assert(offsetof(ChainLink, allocated_bytes) == 16);
static_assert(offsetof(HcBlockRead, status) == 4);
static_assert(offsetof(HcBlockRead, offset) == 8);
static_assert(offsetof(HcBlockRead, buffer_gpa) == 16);
static_assert(offsetof(HcBlockRead, length) == 24);
static_assert(offsetof(ReadExtent, buffer_gpa) == 8);
static_assert(offsetof(ReadExtent, length) == 16);
static_assert(offsetof(HcBlockReadv, count) == 4);
static_assert(offsetof(HcBlockReadv, extents_gpa) == 8);
static_assert(offsetof(HcBlockReadv, status) == 16);
static_assert(offsetof(HcBlockFlush, status) == 4);
static_assert(offsetof(HcEmitMessage, length) == 8);
static_assert(offsetof(HcEmitMessage, status) == 16);
static_assert(offsetof(HcExit, reserved) == 4);
static_assert(sizeof(BootInfo) <= kPageSize, "BootInfo must fit its page");
static_assert(sizeof(OpConfig) <= kOpConfigMaxSize);
static_assert(kOpConfigGpa + kOpConfigMaxSize == kReadOnlyEnd);

#undef INSTAR_ABI_CHECK

}  // namespace instar::abi
