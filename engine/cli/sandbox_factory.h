// sandbox_factory.h: creates the sandbox the user selected (--sandbox / INSTAR_SANDBOX).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "engine/sandbox/sandbox.h"

namespace instar::cli {

// The user's request, unresolved: the global option wins over the environment variable.
struct SandboxChoice {
  std::optional<std::string> cli_value;  // --sandbox=VALUE
  std::optional<std::string> env_value;  // INSTAR_SANDBOX
  // --timeout / INSTAR_TIMEOUT, parsed: the whole command's wall-clock time (time_limits.h).
  std::optional<std::chrono::milliseconds> timeout;
};

// Builds the sandbox for `choice`, its runs limited by choice.timeout (TimeLimitedSandbox); on
// failure returns nullptr and sets *error to a message for the user (unknown mode, KVM requested
// but unusable, guest binaries missing).
std::unique_ptr<sandbox::Sandbox> make_sandbox(const SandboxChoice& choice, std::string* error);

}  // namespace instar::cli
