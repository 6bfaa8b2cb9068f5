// check_log.h: qemu's check diagnostics as text, batched into CheckDiagnostics messages.
#pragma once

#include <stdint.h>

#include "guest/lib/arena.h"
#include "guest/lib/bytes.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Builds the stderr lines qemu's check prints (fprintf in block/qcow2-refcount.c) with printf's
// conversions re-done by hand (%s, PRIu64/PRId64, PRIx64, %#x). Full lines go out in messages
// of at most kCheckTextCapacity bytes; a line is never split across messages.
class CheckLog {
 public:
  // guest.options bounds CheckDiagnostics.text; kept small so every GuestMessage stays small.
  static constexpr uint64_t kCheckTextCapacity = sizeof(instar_guest_CheckDiagnostics{}.text.bytes);

  CheckLog(MessageSink& sink, Arena& arena, instar_guest_GuestMessage* scratch)
      : sink_(sink), arena_(arena), message_(scratch) {}

  CheckLog& str(const char* s);
  CheckLog& bytes(Bytes b);
  CheckLog& dec(uint64_t v);
  CheckLog& sdec(int64_t v);
  CheckLog& hex(uint64_t v);      // %lx
  CheckLog& alt_hex(uint64_t v);  // %#lx: "0x" prefix except for 0
  // Ends the line ("\n"); flushes when the next line might not fit. Errors are sticky.
  void end_line();
  Status flush();
  const Status& status() const { return status_; }

 private:
  void put(const char* data, uint64_t n);

  MessageSink& sink_;
  Arena& arena_;
  instar_guest_GuestMessage* message_;
  char line_[2048];
  uint64_t line_size_ = 0;
  Status status_;
};

}  // namespace instar
