// main.cc: the instar binary: qemu-img's command line in front of the sandboxed engine.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "engine/cli/amend_command.h"
#include "engine/cli/check_command.h"
#include "engine/cli/commit_command.h"
#include "engine/cli/compare_command.h"
#include "engine/cli/convert_command.h"
#include "engine/cli/create_command.h"
#include "engine/cli/dd_command.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/global_options.h"
#include "engine/cli/help_text.h"
#include "engine/cli/info_command.h"
#include "engine/cli/map_command.h"
#include "engine/cli/measure_command.h"
#include "engine/cli/profile_select.h"
#include "engine/cli/rebase_command.h"
#include "engine/cli/resize_command.h"
#include "engine/cli/sandbox_factory.h"
#include "engine/cli/snapshot_command.h"
#include "engine/cli/time_limits.h"
#include "engine/render/error_text.h"

namespace {

// qemu-img subcommands instar does not implement yet: refused clearly, never ignored.
constexpr std::string_view kPlannedCommands[] = {"bench", "bitmap"};

// The caller's RLIMIT_CPU soft limit reached by instar itself (the KVM backend's guest time is
// instar's CPU time): say so and fail, rather than die of SIGXCPU with a core-dump status. At an
// equal hard limit the kernel sends SIGKILL instead; the KVM monitor stops the guest before that
// (engine/vmm/cpu_budget.h).
void on_cpu_limit(int) {
  static constexpr char kText[] =
      "instar: CPU time limit reached (RLIMIT_CPU, set by the caller of instar)\n";
  (void)!write(STDERR_FILENO, kText, sizeof kText - 1);
  _exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace instar::cli;
  std::signal(SIGXCPU, on_cpu_limit);
  // qemu names itself after argv[0]'s basename, so a symlink named qemu-img prints "qemu-img:".
  const Diagnostics diag(instar::render::ProgramName(argc > 0 ? argv[0] : "instar"));
  const GlobalParse global = parse_global_options(argc, argv);
  if (!global.ok) return diag.usage_error(global.error);
  // qemu-img acts on -T in its getopt loop: `-T help` prints qemu's own trace events and exits.
  // instar has none of qemu's trace points, so it says so instead of printing another list.
  if (global.options.trace_help) {
    diag.error("-T help: instar has no qemu trace events to list (docs/invocation.md)");
    return 1;
  }

  // The output profile: --qemu-version, INSTAR_QEMU_VERSION, the qemu-img on PATH, the newest.
  ProfileRequest request;
  request.cli_value = global.options.qemu_version;
  if (const char* env = std::getenv("INSTAR_QEMU_VERSION"); env != nullptr && *env != '\0') {
    request.env_value = env;
  }
  const ProfileSelection selection = select_profile(request, detect_installed_qemu_img);
  if (!selection.ok) return diag.usage_error(selection.error);
  const char* verbose_env = std::getenv("INSTAR_VERBOSE");
  const bool verbose =
      global.options.verbose || (verbose_env != nullptr && std::string_view(verbose_env) == "1");
  if (verbose && !selection.note.empty()) std::fputs(selection.note.c_str(), stderr);

  if (global.options.help) {
    std::fputs(help_text(diag.program(), selection).c_str(), stdout);
    return 0;
  }
  if (global.options.version) {
    std::fputs(version_text(diag.program(), selection).c_str(), stdout);
    return 0;
  }
  if (global.options.command_index == 0) return diag.usage_error("Not enough arguments");

  SandboxChoice choice;
  choice.cli_value = global.options.sandbox;
  if (const char* env = std::getenv("INSTAR_SANDBOX"); env != nullptr && *env != '\0') {
    choice.env_value = env;
  }
  // --timeout beats INSTAR_TIMEOUT; either must be a valid number of seconds.
  std::optional<std::string> timeout_text = global.options.timeout;
  const char* timeout_source = "--timeout";
  if (const char* env = std::getenv("INSTAR_TIMEOUT");
      !timeout_text && env != nullptr && *env != '\0') {
    timeout_text = env;
    timeout_source = "INSTAR_TIMEOUT";
  }
  if (timeout_text) {
    choice.timeout = parse_timeout(*timeout_text);
    if (!choice.timeout) {
      return diag.usage_error(std::string("invalid ") + timeout_source + " '" + *timeout_text +
                              "' (expected a number of seconds above 0, at most " +
                              std::to_string(kMaxTimeout.count()) + ")");
    }
  }

  // Where backing and data files may lie (docs/chains.md §2).
  const instar::chain::RootOptions roots{allowed_roots(global.options)};

  const int index = global.options.command_index;
  const std::string command = argv[index];
  if (command == "info") {
    return run_info_command(diag, choice, selection, unsafe_quirks_enabled(global.options), roots,
                            argc - index, argv + index);
  }
  if (command == "check") {
    return run_check_command(diag, choice, help_text(diag.program(), selection),
                             unsafe_quirks_enabled(global.options), roots, argc - index,
                             argv + index);
  }
  if (command == "compare") {
    return run_compare_command(diag, choice, help_text(diag.program(), selection),
                               unsafe_quirks_enabled(global.options), roots, argc - index,
                               argv + index);
  }
  if (command == "convert") {
    return run_convert_command(diag, choice, help_text(diag.program(), selection),
                               unsafe_quirks_enabled(global.options), roots, argc - index,
                               argv + index);
  }
  if (command == "create") {
    return run_create_command(diag, choice, help_text(diag.program(), selection),
                              unsafe_quirks_enabled(global.options), roots, argc - index,
                              argv + index);
  }
  if (command == "dd") {
    return run_dd_command(diag, choice, help_text(diag.program(), selection),
                          unsafe_quirks_enabled(global.options), roots, argc - index, argv + index);
  }
  if (command == "map") {
    return run_map_command(diag, choice, selection, help_text(diag.program(), selection),
                           unsafe_quirks_enabled(global.options), roots, argc - index,
                           argv + index);
  }
  if (command == "measure") {
    return run_measure_command(diag, choice, help_text(diag.program(), selection),
                               unsafe_quirks_enabled(global.options), roots, argc - index,
                               argv + index);
  }
  if (command == "amend") {
    return run_amend_command(diag, choice, help_text(diag.program(), selection),
                             unsafe_quirks_enabled(global.options), argc - index, argv + index);
  }
  if (command == "commit") {
    return run_commit_command(diag, choice, help_text(diag.program(), selection),
                              unsafe_quirks_enabled(global.options), roots, argc - index,
                              argv + index);
  }
  if (command == "rebase") {
    return run_rebase_command(diag, choice, help_text(diag.program(), selection),
                              unsafe_quirks_enabled(global.options), roots, argc - index,
                              argv + index);
  }
  if (command == "resize") {
    return run_resize_command(diag, choice, help_text(diag.program(), selection),
                              unsafe_quirks_enabled(global.options), argc - index, argv + index);
  }
  if (command == "snapshot") {
    return run_snapshot_command(diag, choice, selection, help_text(diag.program(), selection),
                                unsafe_quirks_enabled(global.options), roots, argc - index,
                                argv + index);
  }
  for (std::string_view planned : kPlannedCommands) {
    if (planned == command) {
      diag.error("command '" + command + "' is not supported by instar yet");
      return 1;
    }
  }
  return diag.usage_error("Command not found: " + command);
}
