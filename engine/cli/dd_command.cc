// dd_command.cc: `dd` = img_dd's host half: parse the operands, open the input and its chain,
// create the output with its driver's default options, copy in one sandbox run (the convert op
// with kConvertDd), print qemu-img's errors.
#include "engine/cli/dd_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/channel/convert_report.h"
#include "engine/cli/convert_devices.h"
#include "engine/cli/convert_target.h"
#include "engine/cli/dd_options.h"
#include "engine/cli/format_name.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/time_limits.h"
#include "engine/render/error_text.h"

namespace instar::cli {

namespace {

// The input's tables and the 2 MiB copy buffer; a qcow2 target's writer caches (as convert's).
constexpr uint64_t kArenaPerImage = 16ull << 20;
constexpr uint64_t kArenaMax = 512ull << 20;
constexpr uint64_t kMemoryHeadroom = 128ull << 20;
constexpr uint64_t kQcow2WriterClusters = 40;

uint64_t round_to_sector(uint64_t bytes) {
  return (bytes + 511) / 512 * 512;
}

// qemu-img's message for a failed copy, after "<program>: ".
std::string failure_text(const Diagnostics& diag, const std::string& input,
                         const channel::ConvertReport& report) {
  const render::ErrorText text = render::GuestErrorText(*report.error);
  switch (report.result.kind()) {
    case guest::CONVERT_OPEN_FAILED:
      return render::OpenErrorText(diag.program(), input, text);
    case guest::CONVERT_READ_FAILED:
      return text.preamble +
             render::DiagnosticLine(
                 diag.program(), "error while reading from input image file: Input/output error");
    case guest::CONVERT_WRITE_FAILED:
      if (report.error->code() == guest::ERROR_UNSUPPORTED_OP ||
          report.error->code() == guest::ERROR_BAD_CONFIG) {
        return render::DiagnosticLine(
            diag.program(), "sandbox: the guest refused the output (" + text.message + ")");
      }
      return render::DiagnosticLine(diag.program(),
                                    "error while writing to output image file: Input/output error");
    default:
      return render::DiagnosticLine(diag.program(),
                                    "error while flushing the output: Input/output error");
  }
}

}  // namespace

int run_dd_command(const Diagnostics& diag, const SandboxChoice& choice, const std::string& help,
                   bool unsafe_quirks, const chain::RootOptions& roots, int argc, char** argv) {
  const DdParse parse = parse_dd_options(argc, argv);
  const DdOptions& options = parse.options;
  for (const std::string& warning : parse.warnings) diag.error(warning);
  switch (parse.error) {
    case DdParse::Error::kNone:
      break;
    case DdParse::Error::kUsage:
      return diag.usage_error(parse.lines.front());
    case DdParse::Error::kFailed:
      for (const std::string& line : parse.lines) diag.error(line);
      return 1;
  }
  if (options.object_help) {
    put(stdout, *options.object_help);
    return 0;
  }
  if (options.help) {
    put(stdout, help);
    return 0;
  }
  const std::string& input_name = *options.input;
  const std::string& output_name = *options.output;

  // img_open() of the input (read-only; -U changes nothing for instar, which takes no locks).
  std::vector<Input> inputs(1);
  {
    std::vector<std::string> warnings;
    std::string message;
    bool opened = open_image_operand(input_name, options.image_opts, options.format,
                                     &inputs[0].operand, &warnings, &message);
    for (const std::string& warning : warnings) diag.error("warning: " + warning);
    if (opened && inputs[0].operand.spec.no_backing) {
      message = no_backing_refusal(input_name, "dd");
      opened = false;
    }
    if (!opened) {
      put(stderr, render::DiagnosticLine(diag.program(), message));
      return 1;
    }
  }
  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 1;
  }
  ChainRequest chain_request;
  chain_request.top_fd = inputs[0].operand.file.fd();
  chain_request.top_size = inputs[0].operand.file.size();
  chain_request.top_display = input_name;
  chain_request.top_path = inputs[0].operand.spec.display;
  chain_request.top_format = inputs[0].operand.format;
  chain_request.unsafe_quirks = unsafe_quirks;
  chain_request.roots = roots;
  inputs[0].chain = OpenImageChain(diag, *sandbox, chain_request);
  if (inputs[0].chain.kind == ChainOpen::Kind::kFailed) {
    put(stderr, inputs[0].chain.error);
    return 1;
  }
  // A top the chain walk could not open: the guest's open reports why, in qemu's words, and
  // nothing is created.
  const bool top_failed = inputs[0].chain.kind == ChainOpen::Kind::kTopFailed;

  std::optional<Qcow2Target> qcow2_target;
  DdRange range;
  uint64_t output_size = 0;
  Output output;
  if (!top_failed) {
    if (options.output_format == "qcow2") {
      // The driver's default creation options.
      Qcow2TargetResult planned = plan_qcow2_target(diag.program(), output_name, "");
      if (!planned.target) {
        put(stderr, planned.error);
        return 1;
      }
      qcow2_target = planned.target;
    } else if (options.output_format != "raw") {
      abi::ImageFormat ignored;
      if (lookup_format(options.output_format, &ignored) == FormatLookup::kUnknown) {
        diag.error("Unknown file format");
      } else {
        diag.error("dd -O " + options.output_format + " is not supported by instar yet");
      }
      return 1;
    }
    // blk_getlength(): a raw file's size rounds up to whole sectors.
    const ChainImage& top = inputs[0].chain.images.front();
    range = dd_range(options, top.raw ? round_to_sector(top.size) : top.virtual_size);
    // Both drivers' create rounds the size up to 512 (raw_co_create_opts, qcow2_co_create_opts).
    output_size = round_to_sector(range.length);
    if (!create_output(diag, output_name, output_name + ": error while creating output image: ",
                       qcow2_target ? 0 : output_size, Preallocation::kOff, FileAttributes{},
                       inputs, &output)) {
      return 1;
    }
    // Said once the output exists, as dd(1) would: the output is empty and dd exits 0.
    if (range.skip_past_end) diag.error(input_name + ": cannot skip to specified offset");
  }

  sandbox::Request request;
  abi::OpConfig& op = request.op;
  op.op = static_cast<uint32_t>(abi::Op::kConvert);
  op.input_device[0] = op.input_device[1] = abi::kNoDevice;
  op.convert_input_count = 1;
  op.convert_flags = abi::kConvertDd | abi::kConvertFlush;
  op.output_format =
      static_cast<uint32_t>(qcow2_target ? abi::ImageFormat::kQcow2 : abi::ImageFormat::kRaw);
  uint64_t capacity = output_size;
  if (qcow2_target) {
    op.qcow2_cluster_size = qcow2_target->cluster_size;
    op.qcow2_refcount_bits = qcow2_target->refcount_bits;
    op.qcow2_create_flags = qcow2_target->create_flags;
    op.qcow2_compression_type = qcow2_target->compression_type;
    op.convert_qcow2_preallocation = abi_code(qcow2_target->preallocation);
    capacity = qcow2_output_bound(*qcow2_target, output_size, false);
  }
  op.output_size = output_size;
  op.dd_input_offset = range.input_offset;
  op.dd_length = range.length;
  std::vector<sandbox::UniqueFd> extent_maps;
  size_t images = 0;
  if (!put_inputs(diag, inputs, 1, &request, &extent_maps, &images)) return 1;
  op.output_device =
      top_failed ? abi::kNoDevice : add_request_device(&request, output.fd.get(), capacity, true);
  request.limits.arena_bytes =
      std::min<uint64_t>(kArenaMax, request.limits.arena_bytes + images * kArenaPerImage);
  if (qcow2_target) {
    const uint64_t cluster = std::min<uint64_t>(qcow2_target->cluster_size, 2u << 20);
    request.limits.arena_bytes =
        std::min<uint64_t>(kArenaMax, request.limits.arena_bytes + kQcow2WriterClusters * cluster +
                                          output_size / cluster);
  }
  request.limits.memory_bytes = request.limits.arena_bytes + kMemoryHeadroom;
  uint64_t device_bytes = 0;
  for (const sandbox::Device& device : request.devices) {
    device_bytes =
        device.capacity > UINT64_MAX - device_bytes ? UINT64_MAX : device_bytes + device.capacity;
  }
  request.limits.wall_time = scaled_wall_time(kConvertTimeLimit, device_bytes);

  channel::ConvertSequence sequence(1, false, [](uint64_t, uint64_t) {});
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return 1;
  }
  const channel::ConvertReport& report = sequence.report();
  if (report.result.kind() != guest::CONVERT_DONE) {
    put(stderr, failure_text(diag, input_name, report));
    return 1;
  }
  if (top_failed) {
    diag.error("sandbox: the guest opened an input the chain walk could not");
    return 1;
  }
  return 0;
}

}  // namespace instar::cli
