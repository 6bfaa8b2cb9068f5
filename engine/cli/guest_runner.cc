// guest_runner.cc: outcome checking and message decoding common to every subcommand.
#include "engine/cli/guest_runner.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace instar::cli {

GuestRun run_guest(sandbox::Sandbox& sandbox, const sandbox::Request& request) {
  GuestRun run;
  const char* stats_env = std::getenv("INSTAR_STATS");
  const bool stats = stats_env != nullptr && *stats_env == '1';
  sandbox::Request counted = request;  // a few devices: copying is cheaper than a /proc read
  counted.io_counters = stats;
  const auto started = std::chrono::steady_clock::now();
  const sandbox::Outcome outcome = sandbox.run(counted);
  if (stats) {
    // For scripts/bench: the sandbox's counters, on stderr so stdout stays qemu-img's. `sandbox`
    // is the whole run (setup, guest, teardown); `guest` is time inside KVM_RUN or the helper's
    // CPU time, so the difference is the fixed cost of the sandbox itself.
    const double sandbox_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    size_t message_bytes = 0;
    for (const std::string& m : outcome.messages) message_bytes += m.size();
    std::fprintf(stderr,
                 "instar: stats: backend=%s sandbox_ms=%.3f guest_ms=%.3f exits=%llu "
                 "hypercalls=%llu reads=%llu bytes_read=%llu messages=%zu message_bytes=%zu\n",
                 sandbox.name(), sandbox_ms, static_cast<double>(outcome.guest_ns) / 1e6,
                 static_cast<unsigned long long>(outcome.exits),
                 static_cast<unsigned long long>(outcome.hypercalls),
                 static_cast<unsigned long long>(outcome.reads),
                 static_cast<unsigned long long>(outcome.bytes_read), outcome.messages.size(),
                 message_bytes);
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
