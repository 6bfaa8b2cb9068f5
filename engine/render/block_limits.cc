// Block limits as qemu 10.2's block layer computes them for the nodes qemu-img info opens.
#include "engine/render/block_limits.h"

#include <unistd.h>

#include <algorithm>
#include <climits>

namespace instar::render {
namespace {

// qemu's MIN_NON_ZERO(): 0 means "no limit", so it never wins.
template <typename T>
T MinNonZero(T a, T b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

}  // namespace

HostBlockFacts CurrentHostBlockFacts() {
  HostBlockFacts host;
  const long page = ::sysconf(_SC_PAGESIZE);
  host.page_size = page > 0 ? static_cast<uint64_t>(page) : 4096;
#ifdef IOV_MAX
  host.iov_max = IOV_MAX;
#else
  host.iov_max = 1024;  // include/qemu/osdep.h's fallback
#endif
  return host;
}

BlockLimits RegularFileLimits(const HostBlockFacts& host) {
  BlockLimits bl;
  // bdrv_refresh_limits(): file-posix has a byte interface (request alignment 1) and no data
  // children, so it starts from the protocol defaults, of which only max_iov survives below.
  bl.request_alignment = 1;
  bl.max_iov = host.iov_max;
  // raw_probe_alignment(): without O_DIRECT (needs_alignment false on Linux) nothing is probed:
  // request alignment 1 and buffer alignment 1.
  const uint64_t buf_align = 1;
  bl.min_mem_alignment = buf_align;
  bl.opt_mem_alignment = std::max(buf_align, host.page_size);
  return bl;
}

BlockLimits MergeChildLimits(const BlockLimits& parent, const BlockLimits& child) {
  BlockLimits bl = parent;
  bl.discard_alignment = std::max(parent.discard_alignment, child.discard_alignment);
  bl.opt_transfer = std::max(parent.opt_transfer, child.opt_transfer);
  bl.max_transfer = MinNonZero(parent.max_transfer, child.max_transfer);
  bl.max_hw_transfer = MinNonZero(parent.max_hw_transfer, child.max_hw_transfer);
  bl.opt_mem_alignment = std::max(parent.opt_mem_alignment, child.opt_mem_alignment);
  bl.min_mem_alignment = std::max(parent.min_mem_alignment, child.min_mem_alignment);
  bl.max_iov = MinNonZero(parent.max_iov, child.max_iov);
  bl.max_hw_iov = MinNonZero(parent.max_hw_iov, child.max_hw_iov);
  return bl;
}

BlockLimits FormatNodeLimits(const FormatNode& node, const BlockLimits& data_child) {
  // bdrv_refresh_limits(): memset to 0, byte-interface request alignment, then the data child.
  BlockLimits start;
  start.request_alignment = 1;
  BlockLimits bl = MergeChildLimits(start, data_child);
  switch (node.driver) {
    case FormatNode::Driver::kRaw:
      if (node.probed) bl.request_alignment = 512;  // BDRV_SECTOR_SIZE
      break;
    case FormatNode::Driver::kQcow2:
      if (node.crypto_sector != 0) bl.request_alignment = node.crypto_sector;
      bl.write_zeroes_alignment = node.subcluster_size;
      bl.discard_alignment = node.cluster_size;
      break;
    case FormatNode::Driver::kVmdk:
      // vmdk_refresh_limits(): a sparse extent's grain size.
      bl.write_zeroes_alignment = node.cluster_size;
      break;
    case FormatNode::Driver::kVdi:
      break;  // vdi has no bdrv_refresh_limits: its file's limits only
    case FormatNode::Driver::kVpc:
      break;  // nor has vpc
    case FormatNode::Driver::kLuks:
      bl.request_alignment =
          512;  // block_crypto_refresh_limits(): the LUKS sector, no sub-sector I/O
      break;
    case FormatNode::Driver::kSmallFormat:
      break;  // neither qcow v1 nor parallels has bdrv_refresh_limits
    case FormatNode::Driver::kQed:
      // bdrv_qed_refresh_limits(): zero writes go whole clusters at a time.
      bl.write_zeroes_alignment = node.cluster_size;
      break;
  }
  return bl;
}

QObject BlockLimitsToQObject(const BlockLimits& bl) {
  // qapi/block-core.json BlockLimitsInfo member order; uint32/uint64/size members are visited as
  // unsigned numbers, max-iov and max-hw-iov ('int') as signed ones.
  QDict d;
  d.Put("request-alignment", QObject::Uint(bl.request_alignment));
  if (bl.max_discard != 0) d.Put("max-discard", QObject::Uint(bl.max_discard));
  if (bl.discard_alignment != 0) d.Put("discard-alignment", QObject::Uint(bl.discard_alignment));
  if (bl.max_write_zeroes != 0) d.Put("max-write-zeroes", QObject::Uint(bl.max_write_zeroes));
  if (bl.write_zeroes_alignment != 0) {
    d.Put("write-zeroes-alignment", QObject::Uint(bl.write_zeroes_alignment));
  }
  if (bl.opt_transfer != 0) d.Put("opt-transfer", QObject::Uint(bl.opt_transfer));
  if (bl.max_transfer != 0) d.Put("max-transfer", QObject::Uint(bl.max_transfer));
  if (bl.max_hw_transfer != 0) d.Put("max-hw-transfer", QObject::Uint(bl.max_hw_transfer));
  d.Put("max-iov", QObject::Int(bl.max_iov));
  if (bl.max_hw_iov != 0) d.Put("max-hw-iov", QObject::Int(bl.max_hw_iov));
  d.Put("min-mem-alignment", QObject::Uint(bl.min_mem_alignment));
  d.Put("opt-mem-alignment", QObject::Uint(bl.opt_mem_alignment));
  return QObject::Dict(std::move(d));
}

}  // namespace instar::render
