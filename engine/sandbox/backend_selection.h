// backend_selection.h: choosing the sandbox backend from --sandbox= / INSTAR_SANDBOX (pure).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace instar::sandbox {

// What the user asked for.
enum class BackendChoice { kAuto, kKvm, kProcess };
// What runs.
enum class Backend { kKvm, kProcess };

// "auto", "kvm" or "process" (exact, lower case); nullopt otherwise.
std::optional<BackendChoice> parse_backend_choice(std::string_view text);

const char* backend_name(Backend backend);  // "kvm" / "process"

struct BackendSelection {
  bool ok = false;
  Backend backend = Backend::kProcess;
  // Where the choice came from: "--sandbox", "INSTAR_SANDBOX" or "default".
  const char* source = "default";
  // When !ok: e.g. "invalid value 'foo' for --sandbox (expected auto, kvm or process)".
  std::string error;
};

// Resolves the backend. `cli_value` is the argument of the global --sandbox= option if it was
// given (it wins), `env_value` is getenv("INSTAR_SANDBOX") (nullptr or "" = unset). `auto` (also
// the default) selects kvm when kvm_usable() returns true, else process; kvm_usable is called
// only for auto. An explicit kvm is honoured even if KVM is unusable: the KVM backend then fails
// with its own diagnostic instead of silently running elsewhere.
BackendSelection select_backend(std::optional<std::string_view> cli_value, const char* env_value,
                                const std::function<bool()>& kvm_usable);

}  // namespace instar::sandbox
