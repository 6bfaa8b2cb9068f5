// time_limits.cc: scaled defaults, parsing of --timeout, and the command-wide deadline.
#include "engine/cli/time_limits.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace instar::cli {

std::chrono::milliseconds scaled_wall_time(const ScaledLimit& limit, uint64_t bytes) {
  const uint64_t mib = bytes / (1u << 20) + (bytes % (1u << 20) != 0 ? 1 : 0);
  // Clamped to kMaxTimeout: a huge (sparse) file must not overflow the arithmetic.
  const uint64_t max_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(kMaxTimeout).count());
  const uint64_t per_mib_ms = static_cast<uint64_t>(limit.per_gib.count()) / 1024;
  const uint64_t extra = per_mib_ms == 0 || mib <= max_ms / per_mib_ms ? mib * per_mib_ms : max_ms;
  const uint64_t total = std::min(max_ms, static_cast<uint64_t>(limit.base.count()) + extra);
  return std::chrono::milliseconds(total);
}

std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text) {
  uint64_t whole = 0;
  size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    whole = whole * 10 + static_cast<uint64_t>(text[i] - '0');
    if (whole > static_cast<uint64_t>(kMaxTimeout.count())) return std::nullopt;
  }
  if (i == 0) return std::nullopt;
  uint64_t millis = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const size_t first = i;
    uint64_t scale = 100;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      millis += static_cast<uint64_t>(text[i] - '0') * scale;
      scale /= 10;
    }
    if (i == first) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  const std::chrono::milliseconds total(whole * 1000 + millis);
  if (total.count() <= 0 || total > kMaxTimeout) return std::nullopt;
  return total;
}

TimeLimitedSandbox::TimeLimitedSandbox(std::unique_ptr<sandbox::Sandbox> inner,
                                       std::optional<std::chrono::milliseconds> timeout)
    : inner_(std::move(inner)),
      timeout_(timeout),
      deadline_(std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0))) {
}

namespace {

// 2000 ms -> "2 s", 2500 ms -> "2.500 s".
std::string seconds_text(std::chrono::milliseconds ms) {
  std::string text = std::to_string(ms.count() / 1000);
  if (const auto rest = ms.count() % 1000; rest != 0) {
    const std::string millis = std::to_string(1000 + rest);  // "1005" -> ".005"
    text += "." + millis.substr(1);
  }
  return text + " s";
}

}  // namespace

sandbox::Outcome TimeLimitedSandbox::run(const sandbox::Request& request) {
  const std::string hint =
      timeout_ ? "the --timeout of " + seconds_text(*timeout_) + " (or INSTAR_TIMEOUT) was reached"
               : "raise the limit with --timeout SECONDS or INSTAR_TIMEOUT";
  sandbox::Request limited = request;
  if (timeout_) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      sandbox::Outcome outcome;
      outcome.kind = sandbox::OutcomeKind::kTimeout;
      outcome.diagnostic = hint;
      return outcome;
    }
    limited.limits.wall_time = left;
  }
  sandbox::Outcome outcome = inner_->run(limited);
  if (outcome.kind == sandbox::OutcomeKind::kTimeout) outcome.diagnostic += "; " + hint;
  return outcome;
}

}  // namespace instar::cli
