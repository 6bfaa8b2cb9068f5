// create_options.cc: qcow2_co_create()'s option checks, in qemu's order.
#include "guest/formats/qcow2/create_options.h"

#include "guest/formats/qcow2/limits.h"

namespace instar::qcow2 {

namespace {

constexpr bool is_power_of_2(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}
constexpr uint32_t kMinExtendedL2ClusterSize = 16384;  // QCOW2_MIN_CLUSTER_SIZE_EXTL2 (1 << 14)

Status fail(ErrorCode code) {
  return Status(code);
}

}  // namespace

Status validate_create_options(const Qcow2CreateOptions& o) {
  // validate_cluster_size()
  if (!is_power_of_2(o.cluster_size) || o.cluster_size < (1u << kMinClusterBits) ||
      o.cluster_size > (1u << kMaxClusterBits)) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_CLUSTER_SIZE);
  }
  if (o.extended_l2) {
    if (!o.compat_v3) return fail(instar_guest_ErrorCode_ERROR_CREATE_EXTENDED_L2_COMPAT);
    if (o.cluster_size < kMinExtendedL2ClusterSize) {
      return Status(instar_guest_ErrorCode_ERROR_CREATE_EXTENDED_L2_CLUSTER_SIZE,
                    kMinExtendedL2ClusterSize);
    }
  }
  if (o.has_backing_file && o.preallocation != Preallocation::kOff && !o.extended_l2) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_BACKING_PREALLOCATION);
  }
  if (o.has_backing_fmt && !o.has_backing_file) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_BACKING_FMT_WITHOUT_FILE);
  }
  if (o.lazy_refcounts && !o.compat_v3) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_LAZY_REFCOUNTS_COMPAT);
  }
  if (o.refcount_bits > 64 || !is_power_of_2(o.refcount_bits)) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_REFCOUNT_WIDTH);
  }
  if (!o.compat_v3 && o.refcount_bits != 16) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_REFCOUNT_WIDTH_COMPAT);
  }
  if (o.has_data_file && !o.compat_v3) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_DATA_FILE_COMPAT);
  }
  if (o.data_file_raw && !o.has_data_file) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_DATA_FILE_RAW_WITHOUT_DATA_FILE);
  }
  if (o.data_file_raw && o.has_backing_file) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_BACKING_WITH_DATA_FILE_RAW);
  }
  if (o.compression_type != kCompressionZlib) {
    if (o.compression_type != kCompressionZstd) {
      return Status(instar_guest_ErrorCode_ERROR_UNKNOWN_COMPRESSION_TYPE, o.compression_type);
    }
    if (!o.compat_v3) return fail(instar_guest_ErrorCode_ERROR_CREATE_COMPRESSION_TYPE_COMPAT);
  }
  if (o.has_backing_file && o.backing_file.size > kMaxBackingFileNameSize) {
    return fail(instar_guest_ErrorCode_ERROR_CREATE_BACKING_NAME_TOO_LONG);
  }
  return Status::Ok();
}

}  // namespace instar::qcow2
