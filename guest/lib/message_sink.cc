// message_sink.cc: nanopb encoding of guest messages into arena scratch space.
#include "guest/lib/message_sink.h"

#include <pb_encode.h>

#include "guest/lib/mem.h"

namespace instar {

instar_guest_GuestMessage* allocate_message(Arena& arena, pb_size_t tag) {
  auto* message = static_cast<instar_guest_GuestMessage*>(
      arena.allocate(sizeof(instar_guest_GuestMessage), alignof(instar_guest_GuestMessage)));
  if (message == nullptr) return nullptr;
  *message = instar_guest_GuestMessage_init_zero;
  message->which_body = tag;
  return message;
}

Status emit_message(MessageSink& sink, Arena& arena, const instar_guest_GuestMessage& message) {
  size_t size = 0;
  if (!pb_get_encoded_size(&size, instar_guest_GuestMessage_fields, &message)) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  const uint64_t mark = arena.mark();
  auto* buffer = static_cast<uint8_t*>(arena.allocate(size == 0 ? 1 : size, 8));
  if (buffer == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  pb_ostream_t stream = pb_ostream_from_buffer(buffer, size);
  Status result;
  if (!pb_encode(&stream, instar_guest_GuestMessage_fields, &message)) {
    result = Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  } else {
    result = sink.emit(Bytes(buffer, stream.bytes_written));
  }
  arena.release_to(mark);
  return result;
}

Status emit_error(MessageSink& sink, Arena& arena, const Status& status, const ErrorNames* names) {
  const uint64_t mark = arena.mark();
  auto* message = static_cast<instar_guest_GuestMessage*>(
      arena.allocate(sizeof(instar_guest_GuestMessage), alignof(instar_guest_GuestMessage)));
  if (message == nullptr) return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  *message = instar_guest_GuestMessage_init_zero;
  message->which_body = instar_guest_GuestMessage_error_tag;
  instar_guest_Error& error = message->body.error;
  error.code = status.code();
  error.args_count = static_cast<pb_size_t>(status.nargs());
  for (int i = 0; i < status.nargs(); ++i) error.args[i] = status.arg(i);
  if (names != nullptr) {
    static_assert(sizeof(error.name.bytes) >= ErrorNames::kNameSize);
    static_assert(sizeof(error.feature_names) / sizeof(error.feature_names[0]) >=
                  ErrorNames::kMaxFeatureNames);
    static_assert(sizeof(error.feature_names[0].bytes) >= ErrorNames::kFeatureNameSize);
    if (names->name_size != 0) copy_bytes(error.name.bytes, names->name, names->name_size);
    error.name.size = static_cast<pb_size_t>(names->name_size);
    for (uint32_t i = 0; i < names->feature_name_count; ++i) {
      auto& out = error.feature_names[i];
      out.size = names->feature_name_sizes[i];
      if (out.size != 0) copy_bytes(out.bytes, names->feature_names[i], out.size);
    }
    error.feature_names_count = static_cast<pb_size_t>(names->feature_name_count);
  }
  Status result = emit_message(sink, arena, *message);
  arena.release_to(mark);
  return result;
}

Status emit_done(MessageSink& sink, Arena& arena, int32_t status) {
  instar_guest_GuestMessage message = instar_guest_GuestMessage_init_zero;
  message.which_body = instar_guest_GuestMessage_done_tag;
  message.body.done.status = status;
  return emit_message(sink, arena, message);
}

Status MemoryMessageSink::emit(Bytes encoded) {
  if (encoded.size > UINT32_MAX || capacity_ - used_ < 4 || capacity_ - used_ - 4 < encoded.size) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  const uint32_t n = static_cast<uint32_t>(encoded.size);
  for (int i = 0; i < 4; ++i) buffer_[used_ + i] = static_cast<uint8_t>(n >> (8 * i));
  copy_bytes(buffer_ + used_ + 4, encoded.data, n);
  used_ += 4 + n;
  return Status::Ok();
}

}  // namespace instar
