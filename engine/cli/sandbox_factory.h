// sandbox_factory.h: creates the sandbox the user selected (--sandbox / INSTAR_SANDBOX).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/sandbox/sandbox.h"

namespace instar::cli {

// The user's request, unresolved: the global option wins over the environment variable.
struct SandboxChoice {
  std::optional<std::string> cli_value;  // --sandbox=VALUE
  std::optional<std::string> env_value;  // INSTAR_SANDBOX
};

// Builds the sandbox for `choice`; on failure returns nullptr and sets *error to a message for
// the user (unknown mode, KVM requested but unusable, guest binaries missing).
std::unique_ptr<sandbox::Sandbox> make_sandbox(const SandboxChoice& choice, std::string* error);

}  // namespace instar::cli
