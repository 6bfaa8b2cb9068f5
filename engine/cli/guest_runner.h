// guest_runner.h: runs one guest operation in the selected sandbox, checking its messages as they
// arrive.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/channel/message_sequence.h"
#include "engine/sandbox/sandbox.h"

namespace instar::cli {

struct GuestRun {
  bool ok = false;
  std::string failure;  // why the sandbox run failed (diagnostic for the user)
};

// Runs `request` in `sandbox`, handing each message to `sequence` the moment the guest emits it
// (decoded under caps, checked against the operation's contract): the first message that is
// not allowed stops the guest, and the host never holds the encoded stream. On success the
// sequence holds the complete report. Anything but a completed run whose sequence is complete
// is a failure; the diagnostic names the sandbox so the user can tell it from an image error.
// With INSTAR_STATS=1 the sandbox's counters (time, exits, hypercalls, reads, messages) go to
// stderr.
GuestRun run_guest(sandbox::Sandbox& sandbox, const sandbox::Request& request,
                   channel::MessageSequence& sequence);

}  // namespace instar::cli
