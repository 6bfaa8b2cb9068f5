// check_command.cc: `check` = open on the host, walk the metadata in the sandbox, render; with -r
// the sandbox then repairs the image through a writable device and checks it again.
#include "engine/cli/check_command.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/channel/check_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/check_options.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_argument.h"
#include "engine/cli/time_limits.h"
#include "engine/cli/writable_image.h"
#include "engine/render/check_render.h"
#include "engine/render/error_text.h"

namespace instar::cli {

namespace {

// A check walks every table and keeps one refcount per host cluster: more arena than info, and
// time scaled by the image's size (time_limits.h). The guest reports "Cannot allocate memory" as
// qemu would when the arena is too small.
constexpr uint64_t kCheckArenaBytes = 512ull << 20;
constexpr uint64_t kCheckMemoryBytes = 640ull << 20;
// The check's messages: one result and its diagnostics, which the host keeps until the chain has
// opened. Half the default budget: millions of qemu's lines, and a hostile guest cannot make the
// host hold more than this.
constexpr uint64_t kCheckMessageBytes = 32ull << 20;

void write(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
}

int exit_code(const guest::CheckResult& r) {
  if (r.check_errors() != 0) return 1;
  if (r.corruptions() != 0) return 2;
  if (r.leaks() != 0) return 3;
  return 0;
}

}  // namespace

int run_check_command(const Diagnostics& diag, const SandboxChoice& choice, const std::string& help,
                      bool unsafe_quirks, const chain::RootOptions& roots, int argc, char** argv) {
  const CheckParse parse = parse_check_options(argc, argv);
  switch (parse.error) {
    case CheckParse::Error::kNone:
      break;
    case CheckParse::Error::kUsage:
      return diag.usage_error(parse.message);
    case CheckParse::Error::kPlain:
    case CheckParse::Error::kUnsupported:
      diag.error(parse.message);
      return 1;
  }
  const CheckOptions& options = parse.options;
  if (options.object_help) {
    write(stdout, *options.object_help);
    return 0;
  }
  if (options.help) {
    write(stdout, help);
    return 0;
  }
  // What the name means (json:, file:, --image-opts, a protocol refused): before any file access.
  // -r opens the file read-write (qemu's BDRV_O_RDWR), and its errors are that open's.
  ImageOperand operand;
  WritableImage writable;
  if (options.repair != 0) {
    if (!OpenWritableImage(diag, "check", options.filename, options.image_opts, options.format,
                           &writable)) {
      return 1;
    }
  } else if (!open_image_operand_or_report(diag, options.filename, options.image_opts,
                                           options.format, &operand)) {
    return 1;
  }
  const ImageSpec& spec = options.repair != 0 ? writable.spec : operand.spec;
  const abi::ImageFormat format = options.repair != 0 ? writable.format : operand.format;
  const ImageFile& image = options.repair != 0 ? writable.file : operand.file;
  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  sandbox::Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kCheck);
  request.op.input_device[0] = 0;
  request.op.input_format[0] = static_cast<uint32_t>(format);
  request.devices.push_back({image.fd(), image.size(), false});
  request.limits.wall_time = scaled_wall_time(kCheckTimeLimit, image.size());
  request.limits.arena_bytes = kCheckArenaBytes;
  request.limits.memory_bytes = kCheckMemoryBytes;
  request.limits.max_total_message_bytes = kCheckMessageBytes;

  channel::CheckSequence sequence;
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return 1;
  }
  const channel::CheckReport& first = sequence.report();
  if (first.error) {
    write(stderr, render::OpenErrorText(diag.program(), options.filename,
                                        render::GuestErrorText(*first.error)));
    return 1;
  }
  // -r: the request the sandbox repairs the image with, through a writable device.
  sandbox::Request repair = request;
  repair.op.output_device = 0;
  repair.op.check_repair = options.repair;
  repair.devices.clear();
  repair.devices.push_back({image.fd(), image.size(), true});
  channel::CheckSequence repair_sequence;
  // -r of a probed raw image: qemu's warning about writing to it (or instar's safe detection).
  if (options.repair != 0 && first.result->format() == guest::FORMAT_RAW &&
      format == abi::ImageFormat::kProbe) {
    const GuestRun probed = run_guest(*sandbox, repair, repair_sequence);
    if (!probed.ok) {
      diag.error(probed.failure);
      return 1;
    }
    const channel::CheckReport& head = repair_sequence.report();
    if (!head.result || head.result->format() != guest::FORMAT_RAW ||
        !ReportWritableOpen(diag, writable, nullptr, guest::FORMAT_RAW, head.result->raw_head(),
                            unsafe_quirks, sandbox->name())) {
      return 1;
    }
  }
  // Formats without bdrv_co_check (vpc: after its open succeeded, as qemu opens first); vmdk
  // and vdi refuse a fix mode the same way.
  if (first.result->format() == guest::FORMAT_RAW || first.result->format() == guest::FORMAT_VPC ||
      (options.repair != 0 && (first.result->format() == guest::FORMAT_VMDK ||
                               first.result->format() == guest::FORMAT_VDI))) {
    diag.error("This image format does not support checks");
    return 63;
  }
  // qemu-img check opens the image completely: its external data file and its backing chain
  // too, and fails before any check when one of them cannot be opened.
  ChainRequest chain_request;
  chain_request.top_fd = image.fd();
  chain_request.top_size = image.size();
  chain_request.top_display = options.filename;
  chain_request.top_path = spec.display;
  chain_request.no_backing = spec.no_backing;
  chain_request.top_format = format;
  chain_request.unsafe_quirks = unsafe_quirks;
  chain_request.roots = roots;
  const ChainOpen chain = OpenImageChain(diag, *sandbox, chain_request);
  if (chain.kind == ChainOpen::Kind::kFailed) {
    write(stderr, chain.error);
    return 1;
  }
  // Formats without bdrv_co_check that have backing files (qcow v1): after the chain opened.
  if (first.result->format() == guest::FORMAT_QCOW) {
    diag.error("This image format does not support checks");
    return 63;
  }
  // -r: the whole image opened, so qemu checks it with its fix mode. The sandbox repeats the
  // check on the writable device and repairs what the fix mode repairs.
  if (options.repair != 0) {
    if (first.result->format() != guest::FORMAT_QCOW2) {
      diag.error(
          "check -r of an image of a format other than qcow2 is not supported by instar yet");
      return 1;
    }
    const GuestRun repaired = run_guest(*sandbox, repair, repair_sequence);
    if (!repaired.ok) {
      diag.error(repaired.failure);
      return 1;
    }
    if (const auto& error = repair_sequence.report().error) {
      if (error->code() == guest::ERROR_CHECK_REPAIR_UNSUPPORTED) {
        ReportGuestError(diag, *error);
      } else {
        write(stderr, render::OpenErrorText(diag.program(), options.filename,
                                            render::GuestErrorText(*error)));
      }
      return 1;
    }
  }
  const channel::CheckReport& report = options.repair != 0 ? repair_sequence.report() : first;
  const guest::CheckResult& result = *report.result;
  // qcow2_check_read_snapshot_table(): the snapshot table's count or offset, or reading its
  // entries, ended the check.
  if (result.snapshot_table_fault() == guest::SNAPSHOT_TABLE_READ_FAILED) {
    guest::Error error;
    error.set_code(result.snapshot_read_error());
    error.add_args(result.snapshot_read_error_arg());
    const render::ErrorText text = render::GuestErrorText(error);
    // A failed read is qemu's "Failed to read snapshot table" with the errno's text.
    diag.error(std::string("ERROR failed to read the snapshot table: ") +
               (error.code() == guest::ERROR_IO ? "Failed to read snapshot table: " : "") +
               text.message);
    write(stderr, text.hint);
  } else if (result.snapshot_table_fault() != guest::SNAPSHOT_TABLE_OK) {
    diag.error(result.snapshot_table_fault() == guest::SNAPSHOT_TABLE_TOO_LARGE
                   ? "ERROR snapshot table too large"
                   : "ERROR snapshot table offset invalid");
    if (result.overhanging_snapshots() != 0) {
      write(stderr, "You can force-remove all " + std::to_string(result.overhanging_snapshots()) +
                        " overhanging snapshots with qemu-img check -r all\n");
    }
  }
  report.diagnostics.Render(
      [](std::string_view line) { std::fwrite(line.data(), 1, line.size(), stderr); },
      diag.program());
  if (result.error_number() != 0) {
    diag.error(std::string("Check failed: ") + std::strerror(result.error_number()));
    return 1;
  }
  render::ImageCheck check;
  check.filename = options.filename;
  check.format = result.format() == guest::FORMAT_VMDK        ? "vmdk"
                 : result.format() == guest::FORMAT_VDI       ? "vdi"
                 : result.format() == guest::FORMAT_QED       ? "qed"
                 : result.format() == guest::FORMAT_VHDX      ? "vhdx"
                 : result.format() == guest::FORMAT_PARALLELS ? "parallels"
                                                              : "qcow2";
  check.check_errors = static_cast<int64_t>(result.check_errors());
  check.image_end_offset = static_cast<int64_t>(result.image_end_offset());
  check.corruptions = static_cast<int64_t>(result.corruptions());
  check.leaks = static_cast<int64_t>(result.leaks());
  check.total_clusters = static_cast<int64_t>(result.total_clusters());
  check.allocated_clusters = static_cast<int64_t>(result.allocated_clusters());
  check.fragmented_clusters = static_cast<int64_t>(result.fragmented_clusters());
  check.compressed_clusters = static_cast<int64_t>(result.compressed_clusters());
  check.leaks_fixed = static_cast<int64_t>(result.leaks_fixed());
  check.corruptions_fixed = static_cast<int64_t>(result.corruptions_fixed());
  const bool repaired = check.leaks_fixed != 0 || check.corruptions_fixed != 0;
  if (repaired && !options.quiet && options.output == OutputFormat::kHuman) {
    write(stdout, render::RenderRepairNote(check.leaks_fixed, check.corruptions_fixed));
  }
  if (!options.quiet) {
    write(stdout, options.output == OutputFormat::kJson ? render::RenderCheckJson(check)
                                                        : render::RenderCheckHuman(check));
  }
  std::fflush(stdout);
  const int code = exit_code(result);
  if (code == 1) diag.error("Check failed");
  return code;
}

}  // namespace instar::cli
