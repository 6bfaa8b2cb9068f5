// run_op.cc: dispatch from OpConfig to the operation implementations.
#include "guest/ops/run_op.h"

#include "guest/ops/amend.h"
#include "guest/ops/check.h"
#include "guest/ops/commit.h"
#include "guest/ops/compare.h"
#include "guest/ops/convert.h"
#include "guest/ops/create.h"
#include "guest/ops/info.h"
#include "guest/ops/map.h"
#include "guest/ops/measure.h"
#include "guest/ops/rebase.h"
#include "guest/ops/resize.h"
#include "guest/ops/snapshot.h"

namespace instar {

namespace {

Status refuse(MessageSink& sink, Arena& arena, const Status& why) {
  INSTAR_TRY(emit_error(sink, arena, why, nullptr));
  return emit_done(sink, arena, 1);
}

}  // namespace

int run_op(const abi::BootInfo& boot, const abi::OpConfig& op, BlockSource* const* devices,
           uint32_t device_count, MessageSink& sink, Arena& arena) {
  return run_op(boot, op, devices, nullptr, device_count, sink, arena);
}

int run_op(const abi::BootInfo& boot, const abi::OpConfig& op, BlockSource* const* devices,
           BlockSink* const* sinks, uint32_t device_count, MessageSink& sink, Arena& arena) {
  (void)boot;
  Status emitted;
  switch (static_cast<abi::Op>(op.op)) {
    case abi::Op::kInfo: {
      const uint32_t device = op.input_device[0];
      if (device >= device_count || device >= abi::kMaxDevices || devices[device] == nullptr) {
        emitted = refuse(sink, arena, Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, device));
        break;
      }
      emitted = run_info(*devices[device], static_cast<abi::ImageFormat>(op.input_format[0]),
                         (op.flags & abi::kOpFlagNoIo) != 0, sink, arena);
      break;
    }
    case abi::Op::kCheck: {
      if (op.check_repair != 0) {
        emitted = run_check_repair(op, devices, sinks, device_count, sink, arena);
        break;
      }
      const uint32_t device = op.input_device[0];
      if (device >= device_count || device >= abi::kMaxDevices || devices[device] == nullptr) {
        emitted = refuse(sink, arena, Status(instar_guest_ErrorCode_ERROR_BAD_CONFIG, device));
        break;
      }
      emitted = run_check(*devices[device], static_cast<abi::ImageFormat>(op.input_format[0]), sink,
                          arena);
      break;
    }
    case abi::Op::kCompare:
      emitted = run_compare(op, devices, device_count, sink, arena);
      break;
    case abi::Op::kConvert:
      emitted = run_convert(op, devices, sinks, device_count, sink, arena);
      break;
    case abi::Op::kCreate:
      emitted = run_create(op, devices, sinks, device_count, sink, arena);
      break;
    case abi::Op::kMap:
      emitted = run_map(op, devices, device_count, sink, arena);
      break;
    case abi::Op::kRebase:
      emitted = run_rebase(op, devices, sinks, device_count, sink, arena);
      break;
    case abi::Op::kCommit:
      emitted = run_commit(op, devices, sinks, device_count, sink, arena);
      break;
    case abi::Op::kAmend:
      emitted = run_amend(op, devices, sinks, device_count, sink, arena);
      break;
    case abi::Op::kResize:
      emitted = run_resize(op, devices, sinks, device_count, sink, arena);
      break;
    case abi::Op::kSnapshot:
      emitted = run_snapshot(op, devices, sinks, device_count, sink, arena);
      break;
    case abi::Op::kMeasure:
      emitted = run_measure(op, devices, device_count, sink, arena);
      break;
    default:  // anything newer are not implemented in the guest yet
      emitted = refuse(sink, arena, Status(instar_guest_ErrorCode_ERROR_UNSUPPORTED_OP, op.op));
      break;
  }
  return emitted.ok() ? 0 : 1;
}

}  // namespace instar
