// sandbox_factory.cc: backend selection and construction, with the guest binaries located by
// guest_binaries.h (next to the executable, then libexec/instar/).
#include "engine/cli/sandbox_factory.h"

#include <string>

#include "engine/cli/guest_binaries.h"
#include "engine/cli/time_limits.h"

#include "engine/sandbox/backend_selection.h"
#include "engine/sandbox/process_sandbox.h"
#include "engine/vmm/kvm_sandbox.h"
#include "engine/vmm/kvm_vm.h"

namespace instar::cli {

std::unique_ptr<sandbox::Sandbox> make_sandbox(const SandboxChoice& choice, std::string* error) {
  std::optional<std::string_view> cli;
  if (choice.cli_value) cli = *choice.cli_value;
  const sandbox::BackendSelection selection =
      sandbox::select_backend(cli, choice.env_value ? choice.env_value->c_str() : nullptr,
                              [] { return vmm::kvm_usable(); });
  if (!selection.ok) {
    *error = selection.error;
    return nullptr;
  }
  // Only the chosen backend's guest is needed; a missing one fails here, before any run, with
  // every place looked at (rather than as an exec or open error deep inside the sandbox).
  const bool kvm = selection.backend == sandbox::Backend::kKvm;
  const std::optional<std::string> guest =
      kvm ? locate_guest_binary("the KVM guest", kKvmGuestName, error)
          : locate_guest_binary("the guest helper", kProcessHelperName, error);
  if (!guest) return nullptr;
  std::unique_ptr<sandbox::Sandbox> backend;
  if (kvm) {
    backend = std::make_unique<vmm::KvmSandbox>(*guest);
  } else {
    backend = std::make_unique<sandbox::ProcessSandbox>(*guest);
  }
  return std::make_unique<TimeLimitedSandbox>(std::move(backend), choice.timeout);
}

}  // namespace instar::cli
