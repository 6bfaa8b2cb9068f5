// sandbox_factory.cc: backend selection and construction, with the guest binaries located next
// to the instar executable.
#include "engine/cli/sandbox_factory.h"

#include "engine/cli/time_limits.h"

#include <string>

#include "engine/sandbox/backend_selection.h"
#include "engine/sandbox/process_sandbox.h"
#include "engine/vmm/kvm_sandbox.h"
#include "engine/vmm/kvm_vm.h"

namespace instar::cli {

namespace {

// The directory of the running executable, with a trailing slash ("" if unknown).
std::string executable_directory() {
  const std::string helper = sandbox::default_process_helper_path();
  const size_t slash = helper.rfind('/');
  return slash == std::string::npos ? std::string() : helper.substr(0, slash + 1);
}

}  // namespace

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
  std::unique_ptr<sandbox::Sandbox> backend;
  if (selection.backend == sandbox::Backend::kKvm) {
    backend = std::make_unique<vmm::KvmSandbox>(executable_directory() + "instar-guest.elf");
  } else {
    backend = std::make_unique<sandbox::ProcessSandbox>(sandbox::default_process_helper_path());
  }
  return std::make_unique<TimeLimitedSandbox>(std::move(backend), choice.timeout);
}

}  // namespace instar::cli
