// check_log.cc: batching of check line codes into CheckDiagnostics messages.
#include "guest/formats/check_log.h"

#include "guest/lib/mem.h"

namespace instar {

namespace {

void copy_name(Bytes from, pb_byte_t* to, pb_size_t* size, uint64_t capacity) {
  const uint64_t n = from.size < capacity ? from.size : capacity;
  if (n != 0) copy_bytes(to, from.data, n);
  *size = static_cast<pb_size_t>(n);
}

}  // namespace

void CheckLog::put(const uint64_t* words, uint64_t n) {
  auto& batch = message_->body.check_diagnostics;
  if (batch.words_count + n > kWordCapacity) (void)flush();
  for (uint64_t i = 0; i < n; ++i) batch.words[batch.words_count + i] = words[i];
  batch.words_count = static_cast<pb_size_t>(batch.words_count + n);
}

void CheckLog::snapshot_line(instar_guest_CheckLine code, Bytes id, Bytes name, uint64_t value) {
  if (!flush().ok()) return;
  *message_ = instar_guest_GuestMessage_init_zero;
  message_->which_body = instar_guest_GuestMessage_check_snapshot_line_tag;
  auto& line = message_->body.check_snapshot_line;
  line.line = code;
  line.value = value;
  copy_name(id, line.id.bytes, &line.id.size, sizeof line.id.bytes);
  copy_name(name, line.name.bytes, &line.name.size, sizeof line.name.bytes);
  status_ = emit_message(sink_, arena_, *message_);
  *message_ = instar_guest_GuestMessage_init_zero;  // an empty batch again
}

Status CheckLog::flush() {
  auto& batch = message_->body.check_diagnostics;
  if (batch.words_count != 0 && status_.ok()) {
    message_->which_body = instar_guest_GuestMessage_check_diagnostics_tag;
    status_ = emit_message(sink_, arena_, *message_);
  }
  batch.words_count = 0;
  return status_;
}

}  // namespace instar
