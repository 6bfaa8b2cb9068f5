// check_log.h: qemu's check diagnostics as line codes and numbers, batched into messages.
#pragma once

#include <stdint.h>

#include "guest/lib/arena.h"
#include "guest/lib/bytes.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Records the stderr lines qemu's check prints (fprintf in block/qcow2-refcount.c) as a
// CheckLine code plus the numbers its template takes; the host renders the text
// (engine/render/check_lines.cc), so no text of the guest's choosing reaches the terminal.
// Lines go out batched in CheckDiagnostics messages of at most kWordCapacity words; a line that
// names a snapshot goes out on its own (CheckSnapshotLine), after the lines before it.
class CheckLog {
 public:
  // guest.options bounds CheckDiagnostics.words; kept small so every GuestMessage stays small.
  static constexpr uint64_t kWordCapacity =
      sizeof(instar_guest_CheckDiagnostics{}.words) / sizeof(uint64_t);

  CheckLog(MessageSink& sink, Arena& arena, instar_guest_GuestMessage* scratch)
      : sink_(sink), arena_(arena), message_(scratch) {}

  // One line: its code, then exactly as many numbers as the host's template for it takes.
  template <typename... Numbers>
  void line(instar_guest_CheckLine code, Numbers... numbers) {
    const uint64_t words[] = {static_cast<uint64_t>(code), static_cast<uint64_t>(numbers)...};
    put(words, sizeof words / sizeof words[0]);
  }
  // A line naming a snapshot (id and name as qemu prints them, cut to the message's bounds).
  void snapshot_line(instar_guest_CheckLine code, Bytes id, Bytes name, uint64_t value);
  // Sends the batched lines. Errors are sticky.
  Status flush();
  const Status& status() const { return status_; }

 private:
  void put(const uint64_t* words, uint64_t n);

  MessageSink& sink_;
  Arena& arena_;
  instar_guest_GuestMessage* message_;
  Status status_;
};

}  // namespace instar
