// qemu 10.2's BlockLimitsInfo (info --limits): each node's block limits, derived as qemu would.
#pragma once

#include <cstdint>

#include "engine/render/qdict.h"

namespace instar::render {

// qemu's BlockLimits (include/block/block_int-common.h) as BlockLimitsInfo shows them. For the
// optional members 0 means "not set": bdrv_do_query_node_info() marks each present only when
// non-zero. request-alignment, max-iov and both memory alignments are always present.
struct BlockLimits {
  uint32_t request_alignment = 0;
  uint64_t max_discard = 0;
  uint32_t discard_alignment = 0;
  uint64_t max_write_zeroes = 0;
  uint32_t write_zeroes_alignment = 0;
  uint32_t opt_transfer = 0;
  uint32_t max_transfer = 0;
  uint32_t max_hw_transfer = 0;
  int64_t max_iov = 0;
  int64_t max_hw_iov = 0;
  uint64_t min_mem_alignment = 0;
  uint64_t opt_mem_alignment = 0;

  friend bool operator==(const BlockLimits&, const BlockLimits&) = default;
};

// What qemu reads from the host for a regular file opened without O_DIRECT.
struct HostBlockFacts {
  uint64_t page_size = 0;  // qemu_real_host_page_size(): getpagesize()
  int64_t iov_max = 0;     // IOV_MAX (qemu's osdep.h falls back to 1024 where it is undefined)
};

// The running host's facts (sysconf page size, the C library's IOV_MAX).
HostBlockFacts CurrentHostBlockFacts();

// A "file" protocol node on a regular file, cache mode without O_DIRECT (qemu-img info's
// default writeback): block/io.c bdrv_refresh_limits() defaults for a node without data children
// (max-iov IOV_MAX), then block/file-posix.c raw_refresh_limits(): no alignment probing without
// O_DIRECT (request alignment 1, buffer alignment 1), opt-mem-alignment max(1, page size); the
// sysfs transfer, segment and discard limits are read only for block and SG devices.
BlockLimits RegularFileLimits(const HostBlockFacts& host);

// block/io.c bdrv_merge_limits(): what a parent takes over from a data child before its driver
// refines it (maxima of alignments, smallest non-zero maximum; request alignment and the
// write-zeroes / discard maxima are not merged).
BlockLimits MergeChildLimits(const BlockLimits& parent, const BlockLimits& child);

// The format driver of a node, with what its bdrv_refresh_limits callback reads.
struct FormatNode {
  enum class Driver { kRaw, kQcow2, kVmdk, kVdi, kVpc, kQed, kLuks, kSmallFormat };
  Driver driver = Driver::kRaw;
  bool probed = false;           // raw: the format was probed, not given (-f / backing format)
  uint32_t cluster_size = 0;     // qcow2
  uint32_t subcluster_size = 0;  // qcow2: cluster_size / 32 with extended L2, else cluster_size
  uint32_t crypto_sector = 0;    // qcow2: the encryption's sector size, 0 when not encrypted
};

// A format node over its data child: the byte-interface default request alignment 1, the child's
// limits merged, then the driver's callback: raw-format raw_refresh_limits() (512-byte requests
// for a probed image, to protect its first sector), qcow2_refresh_limits() (request alignment =
// crypto sector size when encrypted, write-zeroes alignment = subcluster size, discard alignment
// = cluster size).
BlockLimits FormatNodeLimits(const FormatNode& node, const BlockLimits& data_child);

// The qcow2 encryption sector size qcrypto_block_get_sector_size() reports (AES and LUKS: 512).
inline constexpr uint32_t kQcow2CryptoSectorSize = 512;

// The QAPI visit of BlockLimitsInfo (members in schema order, optional ones only when non-zero).
QObject BlockLimitsToQObject(const BlockLimits& limits);

}  // namespace instar::render
