// snapshot_command.cc: `snapshot` = img_snapshot (qemu-img.c 7.2): options, the open (read-only
// for -l, read-write otherwise), dump_snapshots() and the messages and exit codes of -c/-a/-d.
#include "engine/cli/snapshot_command.h"

#include <sys/time.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "engine/channel/info_report.h"
#include "engine/channel/snapshot_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_file.h"
#include "engine/cli/image_spec.h"
#include "engine/cli/safe_detection.h"
#include "engine/cli/snapshot_options.h"
#include "engine/cli/time_limits.h"
#include "engine/render/error_text.h"
#include "engine/render/snapshot_table.h"

namespace instar::cli {

namespace {

// What a snapshot may append to the file: an L1 copy (at most 32 MiB), a snapshot table (at most
// 64 MiB) and the refcount blocks they need.
constexpr uint64_t kGrowthBound = 1ull << 30;
// The snapshot list kept in memory (ids and names up to 64 MiB), two L1 tables and the caches.
constexpr uint64_t kSnapshotArena = 224ull << 20;
constexpr uint64_t kMemoryHeadroom = 128ull << 20;

struct SnapshotRun {
  const Diagnostics& diag;
  const render::Profile& profile;
  const SnapshotOptions& options;
  const ImageSpec& spec;
  abi::ImageFormat format;
  bool unsafe_quirks;
  sandbox::Sandbox& sandbox;
};

// Safe detection (docs/chains.md) of a probed raw image, as info applies it.
bool probed_raw_refused(const SnapshotRun& r, guest::RawHead head, uint64_t file_size) {
  if (const std::optional<std::string> refusal = ProbedRawHeadRefusal(
          head, file_size, r.unsafe_quirks, r.spec.argument, r.sandbox.name())) {
    r.diag.error(*refusal);
    return true;
  }
  return false;
}

// -l: dump_snapshots() over the snapshots the read-only info parse lists (none for formats
// without internal snapshots, and nothing printed then).
int list_snapshots(const SnapshotRun& r, ImageFile& file) {
  sandbox::Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kInfo);
  request.op.input_device[0] = 0;
  request.op.input_format[0] = static_cast<uint32_t>(r.format);
  request.devices.push_back({file.fd(), file.size(), false});
  channel::InfoSequence sequence;
  const GuestRun run = run_guest(r.sandbox, request, sequence);
  if (!run.ok) {
    r.diag.error(run.failure);
    return 1;
  }
  const channel::InfoReport& report = sequence.report();
  if (report.error) {
    put(stderr, render::OpenErrorText(r.diag.program(), r.spec.argument,
                                      render::GuestErrorText(*report.error)));
    return 1;
  }
  if (r.format == abi::ImageFormat::kProbe && report.info->format() == guest::FORMAT_RAW &&
      probed_raw_refused(r, report.info->raw_head(), file.size())) {
    return 1;
  }
  // qemu-img snapshot opens for I/O (no BDRV_O_NO_IO): an encrypted image asks for its key
  // (instar takes none yet), as the guest's opens for I/O do.
  const bool luks = report.info->format() == guest::FORMAT_LUKS;
  if (luks || report.info->qcow2().crypt_method() != 0) {
    guest::Error key;
    key.set_code(guest::ERROR_ENCRYPTION_KEY_REQUIRED);
    if (luks) key.add_args(1);
    put(stderr, render::OpenErrorText(r.diag.program(), r.spec.argument,
                                      render::GuestErrorText(key)));
    return 1;
  }
  if (report.snapshots.empty()) return 0;
  std::vector<render::SnapshotRow> rows;
  for (const guest::Snapshot& s : report.snapshots) {
    render::SnapshotRow row;
    row.id = s.id();
    row.name = s.name();
    row.vm_state_size = s.vm_state_size();
    row.date_sec = s.date_sec();
    row.vm_clock_nsec = s.vm_clock_nsec();
    row.icount = s.has_icount() ? s.icount() : UINT64_MAX;
    rows.push_back(row);
  }
  put(stdout, render::SnapshotListText(rows, r.profile, ""));
  return 0;
}

// img_snapshot's words for the outcome of -c, -a, -d (or the bare open).
int finish(const SnapshotRun& r, const channel::SnapshotReport& report, uint64_t file_size) {
  const guest::SnapshotResult& result = report.result;
  const Diagnostics& diag = r.diag;
  const std::string quoted = "'" + r.options.name + "'";
  if (result.kind() == guest::SNAPSHOT_OPEN_FAILED) {
    put(stderr, render::OpenErrorText(diag.program(), r.spec.argument,
                                      render::GuestErrorText(*report.error)));
    return 1;
  }
  const bool probed_raw =
      result.format() == guest::FORMAT_RAW && result.raw_head() != guest::RAW_HEAD_NOT_PROBED;
  if (probed_raw) {
    if (probed_raw_refused(r, result.raw_head(), file_size)) return 1;
    put(stderr, ProbedRawWriteWarning(r.spec.path));
  }
  switch (result.kind()) {
    case guest::SNAPSHOT_DONE:
      return 0;
    case guest::SNAPSHOT_NOT_SUPPORTED:
      switch (r.options.action) {
        case SnapshotAction::kCreate:
          diag.error("Could not create snapshot " + quoted + ": -95 (Operation not supported)");
          break;
        case SnapshotAction::kDelete:
          diag.error("Could not delete snapshot " + quoted + ": snapshot not found");
          break;
        case SnapshotAction::kApply:
          // bdrv_snapshot_goto() falls back to the protocol layer by reopening the image, which
          // warns again about the probed raw format.
          if (probed_raw) put(stderr, ProbedRawWriteWarning(r.spec.path));
          diag.error("Could not apply snapshot " + quoted +
                     ": Block driver does not support snapshots");
          break;
        default:
          diag.error(std::string("sandbox (") + r.sandbox.name() + "): unexpected snapshot result");
          break;
      }
      return 1;
    case guest::SNAPSHOT_CREATE_FAILED: {
      const int error_number = static_cast<int>(result.error_number());
      diag.error("Could not create snapshot " + quoted + ": " + std::to_string(-error_number) +
                 " (" + std::strerror(error_number) + ")");
      return 1;
    }
    case guest::SNAPSHOT_DELETE_NOT_FOUND:
      diag.error("Could not delete snapshot " + quoted + ": snapshot not found");
      return 1;
    case guest::SNAPSHOT_FAILED: {
      const render::ErrorText text = render::GuestErrorText(*report.error);
      put(stderr, text.preamble);
      // qcow2_snapshot_goto() reports qcow2_validate_table()'s error on its own line first.
      if (report.error->code() == guest::ERROR_SNAPSHOT_LOAD_FAILED &&
          report.error->args_size() > 1 && report.error->args(1) != 0) {
        diag.error(report.error->args(1) == 1 ? "Snapshot L1 table too large"
                                              : "Snapshot L1 table offset invalid");
      }
      if (report.error->code() == guest::ERROR_SNAPSHOT_UNSUPPORTED) {
        diag.error(text.message);
      } else {
        const char* verb = r.options.action == SnapshotAction::kApply ? "apply" : "delete";
        diag.error(std::string("Could not ") + verb + " snapshot " + quoted + ": " + text.message);
      }
      put(stderr, text.hint);
      return 1;
    }
    default:
      diag.error(std::string("sandbox (") + r.sandbox.name() + "): unexpected snapshot result");
      return 1;
  }
}

uint32_t action_code(SnapshotAction action) {
  switch (action) {
    case SnapshotAction::kCreate:
      return abi::kSnapshotCreate;
    case SnapshotAction::kApply:
      return abi::kSnapshotApply;
    case SnapshotAction::kDelete:
      return abi::kSnapshotDelete;
    default:
      return abi::kSnapshotOpen;
  }
}

// -c, -a, -d and the bare open: the file read-write, the guest's kSnapshot over it.
int change_snapshots(const SnapshotRun& r, ImageFile& file) {
  sandbox::Request request;
  abi::OpConfig& op = request.op;
  op.op = static_cast<uint32_t>(abi::Op::kSnapshot);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.input_format[0] = static_cast<uint32_t>(r.format);
  op.output_device = 0;
  op.snapshot_action = action_code(r.options.action);
  // qemu keeps the name in a C string: the operand, which argv cannot give a NUL.
  std::memcpy(op.snapshot_name, r.options.name.data(), r.options.name.size());
  op.snapshot_name_length = static_cast<uint32_t>(r.options.name.size());
  // g_get_real_time(): microseconds, the date's nanoseconds a multiple of 1000.
  struct timeval now {};
  gettimeofday(&now, nullptr);
  op.snapshot_date_sec = static_cast<uint32_t>(now.tv_sec);
  op.snapshot_date_nsec = static_cast<uint32_t>(now.tv_usec) * 1000u;
  op.snapshot_file_length = file.size();
  const uint64_t capacity = file.size() + kGrowthBound;
  request.devices.push_back({file.fd(), capacity, true});
  request.limits.arena_bytes += kSnapshotArena;
  request.limits.memory_bytes = request.limits.arena_bytes + kMemoryHeadroom;
  request.limits.wall_time = scaled_wall_time(kConvertTimeLimit, file.size());

  channel::SnapshotSequence sequence(capacity);
  const GuestRun run = run_guest(r.sandbox, request, sequence);
  if (!run.ok) {
    r.diag.error(run.failure);
    return 1;
  }
  return finish(r, sequence.report(), file.size());
}

}  // namespace

int run_snapshot_command(const Diagnostics& diag, const SandboxChoice& choice,
                         const ProfileSelection& selection, const std::string& help,
                         bool unsafe_quirks, const chain::RootOptions& roots, int argc,
                         char** argv) {
  const SnapshotParse parse = parse_snapshot_options(argc, argv);
  const SnapshotOptions& options = parse.options;
  switch (parse.error) {
    case SnapshotParse::Error::kNone:
      break;
    case SnapshotParse::Error::kUsage:
      return diag.usage_error(parse.message);
    case SnapshotParse::Error::kFailed:
      diag.error(parse.message);
      return 1;
  }
  if (options.help) {
    put(stdout, help);
    return 0;
  }
  if (options.object_help) {
    put(stdout, *options.object_help);
    return 0;
  }
  const std::optional<ImageSpec> spec =
      ResolveImageNameOrReport(diag, options.filename, options.image_opts, std::nullopt);
  if (!spec) return 1;
  abi::ImageFormat format = abi::ImageFormat::kProbe;
  if (const std::optional<std::string> fmt = EffectiveFormat(*spec, std::nullopt)) {
    if (lookup_format(*fmt, &format) == FormatLookup::kUnknown) {
      diag.error("Could not open '" + spec->argument + "': Unknown driver '" + *fmt + "'");
      return 1;
    }
  }
  const bool list = options.action == SnapshotAction::kList;
  // bdrv_open() refuses force-share on a read-write open before it opens anything.
  if (options.force_share && !list) {
    diag.error("Could not open '" + spec->argument +
               "': force-share=on can only be used with read-only images");
    return 1;
  }
  ImageFile file;
  std::string open_error;
  const bool opened = list ? file.open_read_only(spec->path, &open_error)
                           : file.open_read_write(spec->path, &open_error);
  if (!opened) {
    diag.error("Could not open '" + spec->argument + "': " + open_error);
    return 1;
  }
  if (!spec->refusal_after_open.empty()) {
    diag.error(spec->refusal_after_open);
    return 1;
  }
  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  // img_open() opens the image completely: its external data file and its backing chain too
  // (read-only), and fails before any action when one of them cannot be opened. The top image's
  // own open errors are the op's to report.
  ChainRequest chain_request;
  chain_request.top_fd = file.fd();
  chain_request.top_size = file.size();
  chain_request.top_display = spec->argument;
  chain_request.top_path = spec->display;
  chain_request.no_backing = spec->no_backing;
  chain_request.top_format = format;
  chain_request.unsafe_quirks = unsafe_quirks;
  chain_request.roots = roots;
  const ChainOpen chain = OpenImageChain(diag, *sandbox, chain_request);
  if (chain.kind == ChainOpen::Kind::kFailed) {
    put(stderr, chain.error);
    return 1;
  }
  const SnapshotRun r{diag, selection.profile, options, *spec, format, unsafe_quirks, *sandbox};
  return list ? list_snapshots(r, file) : change_snapshots(r, file);
}

}  // namespace instar::cli
