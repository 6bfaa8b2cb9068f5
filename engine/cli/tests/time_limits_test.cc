// time_limits_test.cc: --timeout parsing, size-scaled defaults and the command-wide deadline.
#include "engine/cli/time_limits.h"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

namespace instar::cli {
namespace {

using namespace std::chrono_literals;

TEST(TimeLimits, ParsesSeconds) {
  EXPECT_EQ(parse_timeout("2"), 2000ms);
  EXPECT_EQ(parse_timeout("0.5"), 500ms);
  EXPECT_EQ(parse_timeout("90.25"), 90250ms);
  EXPECT_EQ(parse_timeout("0.0019"), 1ms);  // below a millisecond is dropped
  EXPECT_EQ(parse_timeout("604800"), std::chrono::milliseconds(kMaxTimeout));
  for (const char* bad : {"", "0", "0.0004", "-1", "+1", "1e3", "5s", " 5", ".5", "1.", "abc",
                          "604800.001", "99999999999999999999999"}) {
    EXPECT_FALSE(parse_timeout(bad)) << bad;
  }
}

TEST(TimeLimits, DefaultsScaleWithBytes) {
  // A 12 MiB image no longer keeps check busy for two minutes.
  EXPECT_EQ(scaled_wall_time(kCheckTimeLimit, 12ull << 20), 20000ms + 12 * (10000ms / 1024));
  EXPECT_EQ(scaled_wall_time(kCompareTimeLimit, 0), 20s);
  EXPECT_EQ(scaled_wall_time(kCompareTimeLimit, 10ull << 30), 20s + 10 * 1024 * (20000ms / 1024));
  EXPECT_EQ(scaled_wall_time(kCompareTimeLimit, UINT64_MAX), kMaxTimeout);
}

// A sandbox that records the wall-clock limit it was given and then "times out" or completes.
class RecordingSandbox final : public sandbox::Sandbox {
 public:
  explicit RecordingSandbox(std::chrono::milliseconds* seen, bool time_out)
      : seen_(seen), time_out_(time_out) {}
  const char* name() const override { return "recording"; }
  sandbox::Outcome run(const sandbox::Request& request) override {
    *seen_ = request.limits.wall_time;
    sandbox::Outcome outcome;
    outcome.kind = time_out_ ? sandbox::OutcomeKind::kTimeout : sandbox::OutcomeKind::kCompleted;
    outcome.diagnostic = time_out_ ? "guest exceeded it" : "";
    return outcome;
  }

 private:
  std::chrono::milliseconds* seen_;
  bool time_out_;
};

TEST(TimeLimits, WithoutTimeoutTheRequestsLimitApplies) {
  std::chrono::milliseconds seen{};
  TimeLimitedSandbox sandbox(std::make_unique<RecordingSandbox>(&seen, true), std::nullopt);
  sandbox::Request request;
  request.limits.wall_time = 7s;
  const sandbox::Outcome o = sandbox.run(request);
  EXPECT_EQ(seen, 7s);
  EXPECT_EQ(o.diagnostic,
            "guest exceeded it; raise the limit with --timeout SECONDS or INSTAR_TIMEOUT");
}

TEST(TimeLimits, TimeoutIsSharedByAllRunsOfACommand) {
  std::chrono::milliseconds seen{};
  TimeLimitedSandbox sandbox(std::make_unique<RecordingSandbox>(&seen, false), 300ms);
  sandbox::Request request;
  request.limits.wall_time = 120s;  // replaced by what is left of the timeout
  (void)sandbox.run(request);
  EXPECT_LE(seen, 300ms);
  EXPECT_GT(seen, 0ms);
  std::this_thread::sleep_for(350ms);
  const sandbox::Outcome o = sandbox.run(request);
  EXPECT_EQ(o.kind, sandbox::OutcomeKind::kTimeout);
  EXPECT_EQ(o.diagnostic, "the --timeout of 0.300 s (or INSTAR_TIMEOUT) was reached");
}

}  // namespace
}  // namespace instar::cli
