// amend_command.cc: `amend` = img_amend (qemu-img.c 7.2) with qcow2_amend_options()'s
// failures: options, the read-write open, messages and exit codes.
#include "engine/cli/amend_command.h"

#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/channel/amend_report.h"
#include "engine/cli/amend_options.h"
#include "engine/cli/amend_plan.h"
#include "engine/cli/compare_options.h"
#include "engine/cli/create_option_help.h"
#include "engine/cli/creation_options.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/stdout_progress.h"
#include "engine/cli/time_limits.h"
#include "engine/cli/writable_image.h"
#include "engine/render/error_text.h"
#include "engine/render/progress_text.h"

namespace instar::cli {

namespace {

// What an amend needs besides the default arena: two header clusters, an L2 table and a
// refcount block (each at most 2 MiB) and the open's tables.
constexpr uint64_t kAmendArena = 16ull << 20;
constexpr uint64_t kMemoryHeadroom = 128ull << 20;

// print_amend_option_help(format) for -f FMT with a help option.
int print_amend_help(const Diagnostics& diag, const std::string& format) {
  abi::ImageFormat parsed = abi::ImageFormat::kProbe;
  if (format == "qcow2" || format == "luks") {
    put(stdout, amend_option_help(format));
    return 0;
  }
  if (lookup_format(format, &parsed) == FormatLookup::kUnknown) {
    diag.error("Unknown file format '" + format + "'");
    return 1;
  }
  diag.error("Format driver '" + format + "' does not support option amendment");
  return 1;
}

// qcow2_amend_options()'s failure in qemu's words (error_report_err: the message, then the hint).
void report_refusal(const Diagnostics& diag, const guest::AmendResult& r) {
  switch (r.refusal()) {
    case guest::AMEND_REFCOUNT_NEEDS_V3:
      diag.error(
          "Refcount widths other than 16 bits require compatibility level 1.1 or above (use "
          "compat=1.1 or greater)");
      return;
    case guest::AMEND_BACKING_CHANGE:
      diag.error("Cannot amend the backing file");
      put(stderr, "You can use 'qemu-img rebase' instead.\n");
      return;
    case guest::AMEND_LAZY_NEEDS_V3:
      diag.error(
          "Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 "
          "or greater)");
      return;
    case guest::AMEND_DOWNGRADE_REFCOUNT:
      diag.error("compat=0.10 requires refcount_bits=16");
      return;
    case guest::AMEND_DOWNGRADE_SNAPSHOTS:
      diag.error("Internal snapshots prevent downgrade of image");
      return;
    case guest::AMEND_DOWNGRADE_FEATURES: {
      char hex[32];
      std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(r.refusal_arg()));
      diag.error(std::string("Cannot downgrade an image with incompatible features ") + hex +
                 " set");
      return;
    }
    case guest::AMEND_DOWNGRADE_ZSTD:
      diag.error(
          "Cannot downgrade an image with zstd compression type and existing compressed "
          "clusters");
      return;
    case guest::AMEND_HEADER_WRITE:
      diag.error(std::string("Failed to update the image header: ") +
                 std::strerror(static_cast<int>(r.refusal_arg())));
      return;
    case guest::AMEND_EXPAND_WRITE:
      diag.error(std::string("Failed to turn zero into data clusters: ") +
                 std::strerror(static_cast<int>(r.refusal_arg())));
      return;
    default:
      diag.error("sandbox: unexpected amend refusal");
  }
}

// The format_name of a driver without bdrv_amend_options that the guest opened the image as.
std::string driver_name(guest::Format format) {
  switch (format) {
    case guest::FORMAT_VMDK:
      return "vmdk";
    case guest::FORMAT_VDI:
      return "vdi";
    case guest::FORMAT_VHDX:
      return "vhdx";
    default:
      return "raw";
  }
}

struct AmendRun {
  const Diagnostics& diag;
  const AmendOptions& options;
  const WritableImage& image;
  bool unsafe_quirks;
  bool help;  // a help option in the list: the image is only opened, then the help printed
  AmendPlanResult plan;
};

// After the guest: the outcome in qemu-img's words. Returns the exit code.
int finish(const AmendRun& r, const channel::AmendReport& report, const std::string& sandbox_name,
           StdoutProgress& progress) {
  const guest::AmendResult& result = report.result;
  const Diagnostics& diag = r.diag;
  const guest::Error* open_error =
      result.kind() == guest::AMEND_OPEN_FAILED ? &*report.error : nullptr;
  if (!ReportWritableOpen(diag, r.image, open_error, result.format(), result.raw_head(),
                          r.unsafe_quirks, sandbox_name)) {
    return 1;
  }
  if (result.format() != guest::FORMAT_QCOW2) {
    // Only qcow2 (and luks, which instar does not open) has bdrv_amend_options.
    diag.error("Format driver '" + driver_name(result.format()) +
               "' does not support option amendment");
    return 1;
  }
  if (result.kind() == guest::AMEND_OPENED) {
    if (r.help) {
      put(stdout, amend_option_help("qcow2"));
      return 0;
    }
    if (!r.plan.error) {
      diag.error("sandbox (" + sandbox_name + "): unexpected amend result");
      return 1;
    }
    if (r.plan.error_in_amend) {
      progress.print(0, 0);
      progress.print(100, 0);
    }
    diag.error(r.plan.error->message);
    put(stderr, r.plan.error->hint);
    return 1;
  }
  for (const std::string& warning : r.plan.warnings) diag.error(warning);
  progress.print(0, 0);
  for (const float p : result.progress()) progress.print(p, 0);
  progress.print(100, 0);
  switch (result.kind()) {
    case guest::AMEND_DONE:
      return 0;
    case guest::AMEND_REFUSED:
      report_refusal(diag, result);
      return 1;
    case guest::AMEND_FAILED: {
      ReportGuestError(diag, *report.error);
      return 1;
    }
    default:
      break;
  }
  diag.error("sandbox (" + sandbox_name + "): unexpected amend result");
  return 1;
}

// Fills the guest's request: the image as its one writable device and the planned options.
void fill_request(const AmendRun& r, sandbox::Request* request) {
  const ImageFile& file = r.image.file;
  abi::OpConfig& op = request->op;
  const AmendPlan& plan = r.plan.plan;
  op.op = static_cast<uint32_t>(abi::Op::kAmend);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.input_format[0] = static_cast<uint32_t>(r.image.format);
  op.output_device = 0;
  op.amend_file_length = file.size();
  op.amend_flags = plan.flags;
  if (r.help || r.plan.error) op.amend_flags = abi::kAmendOpenOnly;
  op.amend_version = plan.version;
  op.amend_refcount_bits = plan.refcount_bits;
  op.amend_size = plan.size;
  // Names over the fields are sent as their first bytes plus one: they differ from any name the
  // image can hold (at most 1023 bytes, a format name far below 32).
  const size_t name = std::min(plan.backing_file.size(), sizeof op.convert_backing_name);
  std::memcpy(op.convert_backing_name, plan.backing_file.data(), name);
  op.convert_backing_name_length = static_cast<uint32_t>(name);
  const size_t fmt = std::min(plan.backing_fmt.size(), sizeof op.convert_backing_fmt);
  std::memcpy(op.convert_backing_fmt, plan.backing_fmt.data(), fmt);
  op.convert_backing_fmt_length = static_cast<uint32_t>(fmt);
  request->devices.push_back({file.fd(), file.size(), true});
  request->limits.arena_bytes += kAmendArena;
  request->limits.memory_bytes = request->limits.arena_bytes + kMemoryHeadroom;
  request->limits.wall_time = scaled_wall_time(kConvertTimeLimit, file.size());
}

// From the cache option to the guest's answer.
int amend(const Diagnostics& diag, const SandboxChoice& choice, bool unsafe_quirks,
          const AmendOptions& options, StdoutProgress& progress) {
  if (options.format && has_help_option(options.options)) {
    return print_amend_help(diag, *options.format);
  }
  if (!options.filename) {
    diag.error("Expecting one image file name");
    return 1;
  }
  if (!is_cache_mode(options.cache)) {
    diag.error("Invalid cache option: " + options.cache);
    return 1;
  }
  WritableImage image;
  if (!OpenWritableImage(diag, "amend", *options.filename, options.image_opts, options.format,
                         &image)) {
    return 1;
  }
  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  AmendRun r{diag, options, image, unsafe_quirks, has_help_option(options.options), {}};
  if (!r.help) r.plan = plan_qcow2_amend(options.options);
  sandbox::Request request;
  fill_request(r, &request);
  channel::AmendSequence sequence;
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return 1;
  }
  return finish(r, sequence.report(), sandbox->name(), progress);
}

}  // namespace

int run_amend_command(const Diagnostics& diag, const SandboxChoice& choice, const std::string& help,
                      bool unsafe_quirks, int argc, char** argv) {
  int first_operand = 0;
  const AmendParse parse = parse_amend_options(argc, argv, &first_operand);
  const AmendOptions& options = parse.options;
  if (options.help) {
    put(stdout, help);
    return 0;
  }
  if (options.object_help) {
    put(stdout, *options.object_help);
    return 0;
  }
  switch (parse.error) {
    case AmendParse::Error::kNone:
      break;
    case AmendParse::Error::kUsage:
      return diag.usage_error(parse.line);
    case AmendParse::Error::kFailed:
      diag.error(parse.line);
      return 1;
  }
  StdoutProgress progress(options.progress, 1.0f);
  const int rc = amend(diag, choice, unsafe_quirks, options, progress);
  progress.end();
  return rc;
}

}  // namespace instar::cli
