// hypercall_message_sink.cc: GuestMessages to the host through the kEmitMessage hypercall.
#include "guest/platform/kvm/hypercall_message_sink.h"

#include "guest/platform/kvm/hypercall.h"

namespace instar::kvm {

Status HypercallMessageSink::emit(Bytes encoded) {
  if (encoded.size > max_message_size_) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  abi::HcEmitMessage arg{to_gpa(encoded.data), encoded.size, abi::kHcOk, 0};
  hypercall(abi::Hypercall::kEmitMessage, &arg);
  if (arg.status != abi::kHcOk) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  return Status::Ok();
}

}  // namespace instar::kvm
