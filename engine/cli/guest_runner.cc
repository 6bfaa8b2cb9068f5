// guest_runner.cc: outcome checking and message decoding common to every subcommand.
#include "engine/cli/guest_runner.h"

#include <cstdio>
#include <cstdlib>

namespace instar::cli {

GuestRun run_guest(sandbox::Sandbox& sandbox, const sandbox::Request& request) {
  GuestRun run;
  const sandbox::Outcome outcome = sandbox.run(request);
  if (const char* stats = std::getenv("INSTAR_STATS"); stats != nullptr && *stats == '1') {
    // For scripts/bench: the sandbox's counters, on stderr so stdout stays qemu-img's.
    std::fprintf(stderr, "instar: stats: backend=%s exits=%llu hypercalls=%llu messages=%zu\n",
                 sandbox.name(), static_cast<unsigned long long>(outcome.exits),
                 static_cast<unsigned long long>(outcome.hypercalls), outcome.messages.size());
  }
  const std::string where = std::string("sandbox (") + sandbox.name() + "): ";
  if (outcome.kind != sandbox::OutcomeKind::kCompleted) {
    run.failure = where + outcome.diagnostic;
    return run;
  }
  if (outcome.guest_status != 0) {
    run.failure = where + "guest exited with status " + std::to_string(outcome.guest_status);
    return run;
  }
  channel::DecodeLimits limits;
  limits.max_message_bytes = request.limits.max_message_bytes;
  channel::DecodedMessages decoded = channel::decode_messages(outcome.messages, limits);
  if (!decoded.ok) {
    run.failure = where + decoded.error;
    return run;
  }
  run.messages = std::move(decoded.messages);
  run.ok = true;
  return run;
}

}  // namespace instar::cli
