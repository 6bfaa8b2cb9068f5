// guest_runner.cc: outcome checking and message decoding common to every subcommand.
#include "engine/cli/guest_runner.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "engine/channel/message_stream.h"

namespace instar::cli {

namespace {

// The sandbox's view of a channel::MessageStream.
class StreamConsumer final : public sandbox::MessageConsumer {
 public:
  explicit StreamConsumer(channel::MessageStream& stream) : stream_(stream) {}
  bool consume(std::string_view encoded, std::string* why) override {
    return stream_.consume(encoded, why);
  }

 private:
  channel::MessageStream& stream_;
};

}  // namespace

GuestRun run_guest(sandbox::Sandbox& sandbox, const sandbox::Request& request,
                   channel::MessageSequence& sequence) {
  GuestRun run;
  channel::DecodeLimits limits;
  limits.max_message_bytes = request.limits.max_message_bytes;
  channel::MessageStream stream(sequence, limits);
  StreamConsumer consumer(stream);
  const char* stats_env = std::getenv("INSTAR_STATS");
  const bool stats = stats_env != nullptr && *stats_env == '1';
  sandbox::Request counted = request;  // a few devices: copying is cheaper than a /proc read
  counted.io_counters = stats;
  counted.consumer = &consumer;
  const auto started = std::chrono::steady_clock::now();
  const sandbox::Outcome outcome = sandbox.run(counted);
  if (stats) {
    // For scripts/bench: the sandbox's counters, on stderr so stdout stays qemu-img's. `sandbox`
    // is the whole run (setup, guest, teardown); `guest` is time inside KVM_RUN or the helper's
    // CPU time, so the difference is the fixed cost of the sandbox itself.
    const double sandbox_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    std::fprintf(stderr,
                 "instar: stats: backend=%s sandbox_ms=%.3f guest_ms=%.3f exits=%llu "
                 "hypercalls=%llu reads=%llu bytes_read=%llu messages=%llu message_bytes=%llu\n",
                 sandbox.name(), sandbox_ms, static_cast<double>(outcome.guest_ns) / 1e6,
                 static_cast<unsigned long long>(outcome.exits),
                 static_cast<unsigned long long>(outcome.hypercalls),
                 static_cast<unsigned long long>(outcome.reads),
                 static_cast<unsigned long long>(outcome.bytes_read),
                 static_cast<unsigned long long>(stream.messages()),
                 static_cast<unsigned long long>(stream.bytes()));
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
  if (std::string why; !stream.finish(&why)) {
    run.failure = where + why;
    return run;
  }
  run.ok = true;
  return run;
}

}  // namespace instar::cli
