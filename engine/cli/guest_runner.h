// guest_runner.h: runs one guest operation in the selected sandbox and decodes its messages.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/channel/message_decoder.h"
#include "engine/sandbox/sandbox.h"

namespace instar::cli {

struct GuestRun {
  bool ok = false;
  std::string failure;  // why the sandbox run failed (diagnostic for the user)
  std::vector<instar::guest::GuestMessage> messages;
};

// Runs `request` in `sandbox`. Anything but a completed run whose messages all decode is a
// failure; the diagnostic names the sandbox so the user can tell it from an image error. With
// INSTAR_STATS=1 the sandbox's counters (time, exits, hypercalls, reads, messages) go to stderr.
GuestRun run_guest(sandbox::Sandbox& sandbox, const sandbox::Request& request);

}  // namespace instar::cli
