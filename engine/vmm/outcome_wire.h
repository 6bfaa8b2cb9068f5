// outcome_wire.h: how the KVM monitor child hands its Outcome to the parent over a pipe.
//
// The stream uses the process backend's framing (engine/sandbox/frame_reader.h): one frame per
// guest message in emission order, then one trailer frame (kind, guest status, counters,
// diagnostic), then the exit frame with status 0, then EOF. The parent treats the child as
// compromised: it reads with FrameReader's caps and decodes the trailer with bounds checks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/sandbox/sandbox.h"

namespace instar::vmm {

// A diagnostic longer than this is cut (the monitor's own are below 200 bytes).
inline constexpr size_t kMaxTrailerDiagnostic = 4096;
inline constexpr size_t kTrailerFixedBytes = 56;
inline constexpr size_t kMaxTrailerBytes = kTrailerFixedBytes + kMaxTrailerDiagnostic;

// Everything of `outcome` except its messages.
std::string encode_outcome_trailer(const sandbox::Outcome& outcome);

// Fills every field of `out` except messages; false when `trailer` is not one encode produced
// (wrong size or magic, unknown kind).
[[nodiscard]] bool decode_outcome_trailer(std::string_view trailer, sandbox::Outcome* out);

// The whole stream for `outcome` (messages, trailer, exit frame), written to `fd` with write(2)
// only: the child runs this under its seccomp filter. False if a write failed.
[[nodiscard]] bool write_outcome_stream(int fd, const sandbox::Outcome& outcome);

}  // namespace instar::vmm
