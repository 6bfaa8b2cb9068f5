// outcome_wire.h: how the KVM monitor child hands its Outcome to the parent over a pipe.
//
// The stream uses the process backend's framing (engine/sandbox/frame_reader.h). Each frame body
// starts with a tag byte: a message frame ('M' + one encoded GuestMessage) is written the moment
// the guest emits the message, so the parent checks the stream message by message as the
// process backend does; at the end one trailer frame ('T' + kind, guest status, counters,
// diagnostic), then the exit frame with status 0, then EOF. The parent treats the child as
// compromised: it reads with FrameReader's caps, and OutcomeStreamConsumer refuses an unknown
// tag, a malformed trailer and anything after the trailer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sandbox/sandbox.h"

namespace instar::vmm {

// A diagnostic longer than this is cut (the monitor's own are below 200 bytes).
inline constexpr size_t kMaxTrailerDiagnostic = 4096;
inline constexpr size_t kTrailerFixedBytes = 56;
inline constexpr size_t kMaxTrailerBytes = kTrailerFixedBytes + kMaxTrailerDiagnostic;
// The tag byte in front of every frame body.
inline constexpr size_t kFrameTagBytes = 1;

// Everything of `outcome` except its messages.
std::string encode_outcome_trailer(const sandbox::Outcome& outcome);

// Fills every field of `out` except messages; false when `trailer` is not one encode produced
// (wrong size or magic, unknown kind).
[[nodiscard]] bool decode_outcome_trailer(std::string_view trailer, sandbox::Outcome* out);

// One message frame, written to `fd` with write(2) only (the child runs this confined, from its
// hypercall handler). False if a write failed.
[[nodiscard]] bool write_message_frame(int fd, std::string_view encoded);

// The end of the stream: the trailer for `outcome` (its messages already went ahead as message
// frames) and the exit frame. write(2) only.
[[nodiscard]] bool write_outcome_end(int fd, const sandbox::Outcome& outcome);

// The parent's side: FrameReader hands it every frame body. Messages go on to `messages` (not
// owned) as they arrive, or are collected when it is null; the trailer is kept for outcome().
class OutcomeStreamConsumer : public sandbox::MessageConsumer {
 public:
  explicit OutcomeStreamConsumer(sandbox::MessageConsumer* messages) : messages_(messages) {}
  bool consume(std::string_view frame, std::string* why) override;

  // The child's Outcome, with the collected messages; nullopt until a valid trailer arrived.
  std::optional<sandbox::Outcome> take_outcome();

 private:
  sandbox::MessageConsumer* messages_;
  std::vector<std::string> collected_;
  std::optional<sandbox::Outcome> trailer_;
};

}  // namespace instar::vmm
