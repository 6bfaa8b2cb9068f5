// backend_selection.cc: --sandbox= beats INSTAR_SANDBOX beats auto; auto asks kvm_usable().
#include "engine/sandbox/backend_selection.h"

namespace instar::sandbox {

std::optional<BackendChoice> parse_backend_choice(std::string_view text) {
  if (text == "auto") return BackendChoice::kAuto;
  if (text == "kvm") return BackendChoice::kKvm;
  if (text == "process") return BackendChoice::kProcess;
  return std::nullopt;
}

const char* backend_name(Backend backend) {
  return backend == Backend::kKvm ? "kvm" : "process";
}

BackendSelection select_backend(std::optional<std::string_view> cli_value, const char* env_value,
                                const std::function<bool()>& kvm_usable) {
  BackendSelection selection;
  std::string_view text = "auto";
  if (cli_value.has_value()) {
    text = *cli_value;
    selection.source = "--sandbox";
  } else if (env_value != nullptr && *env_value != '\0') {
    text = env_value;
    selection.source = "INSTAR_SANDBOX";
  }
  const std::optional<BackendChoice> choice = parse_backend_choice(text);
  if (!choice.has_value()) {
    selection.error = "invalid value '" + std::string(text) + "' for " + selection.source +
                      " (expected auto, kvm or process)";
    return selection;
  }
  selection.ok = true;
  switch (*choice) {
    case BackendChoice::kKvm:
      selection.backend = Backend::kKvm;
      break;
    case BackendChoice::kProcess:
      selection.backend = Backend::kProcess;
      break;
    case BackendChoice::kAuto:
      selection.backend = kvm_usable && kvm_usable() ? Backend::kKvm : Backend::kProcess;
      break;
  }
  return selection;
}

}  // namespace instar::sandbox
