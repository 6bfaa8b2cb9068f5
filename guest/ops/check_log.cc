// check_log.cc: number formatting and batching of check diagnostics.
#include "guest/ops/check_log.h"

#include "guest/lib/mem.h"

namespace instar {

void CheckLog::put(const char* data, uint64_t n) {
  // Lines are short except for snapshot names (bounded by their 64 KiB on-disk size): cut them.
  const uint64_t room = sizeof line_ - 1 - line_size_;
  if (n > room) n = room;
  if (n != 0) copy_bytes(line_ + line_size_, data, n);
  line_size_ += n;
}

CheckLog& CheckLog::str(const char* s) {
  uint64_t n = 0;
  while (s[n] != '\0') ++n;
  put(s, n);
  return *this;
}

CheckLog& CheckLog::bytes(Bytes b) {
  put(reinterpret_cast<const char*>(b.data), b.size);
  return *this;
}

CheckLog& CheckLog::dec(uint64_t v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  char out[24];
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  put(out, static_cast<uint64_t>(n));
  return *this;
}

CheckLog& CheckLog::sdec(int64_t v) {
  if (v < 0) {
    put("-", 1);
    return dec(~static_cast<uint64_t>(v) + 1);
  }
  return dec(static_cast<uint64_t>(v));
}

CheckLog& CheckLog::hex(uint64_t v) {
  char digits[16];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  char out[16];
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  put(out, static_cast<uint64_t>(n));
  return *this;
}

CheckLog& CheckLog::alt_hex(uint64_t v) {
  if (v != 0) put("0x", 2);
  return hex(v);
}

void CheckLog::end_line() {
  line_[line_size_++] = '\n';
  auto& text = message_->body.check_diagnostics.text;
  if (text.size + line_size_ > kCheckTextCapacity) (void)flush();
  copy_bytes(text.bytes + text.size, line_, line_size_);
  text.size = static_cast<pb_size_t>(text.size + line_size_);
  line_size_ = 0;
}

Status CheckLog::flush() {
  auto& text = message_->body.check_diagnostics.text;
  if (text.size != 0 && status_.ok()) {
    message_->which_body = instar_guest_GuestMessage_check_diagnostics_tag;
    status_ = emit_message(sink_, arena_, *message_);
  }
  text.size = 0;
  return status_;
}

}  // namespace instar
