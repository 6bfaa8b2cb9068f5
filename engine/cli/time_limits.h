// time_limits.h: wall-clock limits of guest runs: defaults scaled by size,
// --timeout/INSTAR_TIMEOUT.
//
// Without --timeout each run has its operation's default: info 5 s per image, check and compare a
// base plus an allowance per GiB the run may read, so a small hostile image cannot keep instar
// busy for minutes. With --timeout SECONDS (or INSTAR_TIMEOUT) the whole command gets that much
// wall-clock time instead, spread over all of its runs (docs/sandbox-process.md, "Time limits").
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/sandbox/sandbox.h"

namespace instar::cli {

// The longest --timeout accepted: 7 days (the helper's CPU backstop matches it).
inline constexpr std::chrono::seconds kMaxTimeout{7 * 24 * 3600};

// Per-operation defaults: base + per_gib for each GiB of `bytes` (rounded up to whole MiB).
struct ScaledLimit {
  std::chrono::milliseconds base;
  std::chrono::milliseconds per_gib;
};
inline constexpr ScaledLimit kCheckTimeLimit{std::chrono::seconds(20), std::chrono::seconds(10)};
inline constexpr ScaledLimit kCompareTimeLimit{std::chrono::seconds(20), std::chrono::seconds(20)};
// convert reads the inputs and writes the output: twice compare's bytes per GiB.
inline constexpr ScaledLimit kConvertTimeLimit{std::chrono::seconds(20), std::chrono::seconds(40)};
std::chrono::milliseconds scaled_wall_time(const ScaledLimit& limit, uint64_t bytes);

// "SECONDS": a decimal number of seconds, > 0 and <= kMaxTimeout, at most millisecond precision
// kept ("2", "0.5", "90.25"). nullopt for anything else (empty, signs, exponents, units, 0).
std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text);

// Wraps a sandbox: with `timeout`, every run gets what remains of it (from construction) as its
// wall-clock limit, and none starts once it is spent; without, the request's own limit applies.
// A run that times out says which limit it was and how to change it.
class TimeLimitedSandbox final : public sandbox::Sandbox {
 public:
  TimeLimitedSandbox(std::unique_ptr<sandbox::Sandbox> inner,
                     std::optional<std::chrono::milliseconds> timeout);
  const char* name() const override { return inner_->name(); }
  [[nodiscard]] sandbox::Outcome run(const sandbox::Request& request) override;

 private:
  std::unique_ptr<sandbox::Sandbox> inner_;
  std::optional<std::chrono::milliseconds> timeout_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace instar::cli
