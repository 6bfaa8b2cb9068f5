// sandbox.h: the interface both backends (KVM monitor, seccomp process) implement.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "guest/abi/abi.h"

namespace instar::sandbox {

// A block device handed to the guest. The host opened the file; the guest sees only an index.
struct Device {
  int fd = -1;            // host fd (not owned by Device); inputs are opened O_RDONLY
  uint64_t capacity = 0;  // bytes visible to the guest
  bool writable = false;  // only output images of convert-like ops
};

struct Limits {
  std::chrono::milliseconds wall_time{5000};  // whole run, VM creation to exit
  uint64_t memory_bytes = 64ull << 20;  // guest memory (KVM: rounded up to 2 MiB pages) / address
                                        // space budget
  uint64_t arena_bytes = 32ull << 20;   // guest arena inside that memory
  uint64_t max_message_bytes = 64 * 1024;          // one GuestMessage, encoded
  uint64_t max_total_message_bytes = 64ull << 20;  // all messages of one run
  uint64_t max_read_bytes = 16ull << 20;           // one read or batched read
  uint64_t max_exits = 10'000'000;                 // KVM exits (hypercalls included)
};

// Takes each encoded GuestMessage the moment the guest emits it, so the host checks a hostile
// stream message by message instead of holding all of it (engine/channel/message_stream.h).
class MessageConsumer {
 public:
  virtual ~MessageConsumer() = default;
  // False ends the run as kGuestFault with `*why` as its diagnostic: the guest is stopped and
  // nothing it sends afterwards is read, kept or decoded.
  virtual bool consume(std::string_view encoded, std::string* why) = 0;
};

struct Request {
  abi::OpConfig op{};
  std::vector<Device> devices;  // at most abi::kMaxDevices
  Limits limits;
  // Process backend: also fill Outcome::reads / bytes_read from /proc/<pid>/io (INSTAR_STATS=1),
  // a file read every run would otherwise pay for nothing. The other counters are always free.
  bool io_counters = false;
  // Where messages go as they arrive (not owned). Null: they are collected in Outcome::messages,
  // for tests that look at the raw frames.
  MessageConsumer* consumer = nullptr;
};

// How a run ended. Anything but kCompleted is a sandbox failure that instar reports as
// "instar: sandbox: <diagnostic>" and exits non-zero; the guest's own errors arrive as messages.
enum class OutcomeKind {
  kCompleted,      // the guest exited normally (status in guest_status)
  kGuestFault,     // KVM: bad hypercall, bad port/MMIO, triple fault...; process: bad frame
  kTimeout,        // wall-clock limit
  kKilled,         // process: killed by a signal (SIGSYS = seccomp violation)
  kResourceLimit,  // exit count, message size or total message bytes exceeded
  kHostError,      // the host failed (KVM unavailable, fork failed, I/O error on the host side)
};

struct Outcome {
  OutcomeKind kind = OutcomeKind::kHostError;
  int guest_status = -1;              // HcExit status / process exit code when kCompleted
  int signal = 0;                     // kKilled: the signal
  std::string diagnostic;             // human-readable reason when not kCompleted
  std::vector<std::string> messages;  // encoded GuestMessages in emission order (no consumer)
  // Counters for benchmarks and tests (INSTAR_STATS=1 prints them).
  uint64_t exits = 0;
  uint64_t hypercalls = 0;
  // Image reads. KVM: extents served by block hypercalls and their bytes. Process, only with
  // Request::io_counters: the helper's read syscalls and bytes (/proc/<pid>/io syscr/rchar, so the
  // boot blob read and the dynamic loader's reads are included).
  uint64_t reads = 0;
  uint64_t bytes_read = 0;
  // Time the guest ran. KVM: wall time inside KVM_RUN. Process: the helper's CPU time (user+sys).
  uint64_t guest_ns = 0;
};

class Sandbox {
 public:
  virtual ~Sandbox() = default;
  virtual const char* name() const = 0;  // "kvm" or "process"
  [[nodiscard]] virtual Outcome run(const Request& request) = 0;
};

}  // namespace instar::sandbox
