// run_op.cc: dispatch from OpConfig to the operation implementations.
#include "guest/ops/run_op.h"

namespace instar {

int run_op(const abi::BootInfo& boot, const abi::OpConfig& op, BlockSource* const* devices,
           uint32_t device_count, MessageSink& sink, Arena& arena) {
  (void)boot;
  (void)devices;
  (void)device_count;
  Status status = Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP, op.op);
  if (!emit_error(sink, arena, status, nullptr).ok()) return 1;
  return 0;
}

}  // namespace instar
