// measure_command.cc: `measure` = plan the target on the host, read the source in one sandbox
// run, compute and render like qemu-img.
#include "engine/cli/measure_command.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/channel/measure_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/chain_devices.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_argument.h"
#include "engine/cli/image_file.h"
#include "engine/cli/measure_options.h"
#include "engine/cli/measure_plan.h"
#include "engine/cli/time_limits.h"
#include "engine/render/error_text.h"
#include "engine/render/measure_render.h"

namespace instar::cli {

namespace {

// measure's whole contract is [Error], MeasureResult, Done: three small messages.
constexpr uint64_t kMeasureMessageBytes = 256 * 1024;

void write(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
}

int render(const MeasureOptions& options, const MeasureFigures& figures) {
  const render::MeasureInfo info{figures.required, figures.fully_allocated, figures.bitmaps};
  write(stdout, options.output == OutputFormat::kJson ? render::RenderMeasureJson(info)
                                                      : render::RenderMeasureHuman(info));
  return 0;
}

// Each line of `message` is one error_report.
void report_lines(const Diagnostics& diag, const std::string& message) {
  size_t start = 0;
  while (start <= message.size()) {
    const size_t end = message.find('\n', start);
    diag.error(message.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

}  // namespace

std::optional<MeasureInput> measure_image_source(const Diagnostics& diag,
                                                 const SandboxChoice& choice, bool unsafe_quirks,
                                                 const chain::RootOptions& roots,
                                                 const MeasureOptions& options,
                                                 uint64_t cluster_size, std::string* error) {
  const std::string& name = *options.filename;
  // What the name means (json:, file:, --image-opts, a protocol refused): before any file access.
  ImageOperand operand;
  std::vector<std::string> warnings;
  std::string message;
  const bool opened =
      open_image_operand(name, options.image_opts, options.format, &operand, &warnings, &message);
  for (const std::string& warning : warnings) diag.error("warning: " + warning);
  if (!opened) {
    *error = render::DiagnosticLine(diag.program(), message);
    return std::nullopt;
  }
  if (operand.spec.no_backing) {
    *error = render::DiagnosticLine(diag.program(), no_backing_refusal(name, "measure"));
    return std::nullopt;
  }
  const abi::ImageFormat format = operand.format;
  const ImageFile& file = operand.file;
  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    *error = render::DiagnosticLine(diag.program(), sandbox_error);
    return std::nullopt;
  }
  ChainRequest chain_request;
  chain_request.top_fd = file.fd();
  chain_request.top_size = file.size();
  chain_request.top_display = name;
  chain_request.top_path = operand.spec.display;
  chain_request.top_format = format;
  chain_request.unsafe_quirks = unsafe_quirks;
  chain_request.roots = roots;
  const ChainOpen chain = OpenImageChain(diag, *sandbox, chain_request);
  if (chain.kind == ChainOpen::Kind::kFailed) {
    *error = chain.error;
    return std::nullopt;
  }

  if (const std::optional<std::string> refusal = SnapshotSelectionTooLong(options.snapshot)) {
    *error = render::DiagnosticLine(diag.program(), *refusal);
    return std::nullopt;
  }
  sandbox::Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kMeasure);
  PutSnapshotSelection(options.snapshot, &request.op);
  request.op.input_format[0] = static_cast<uint32_t>(format);
  request.op.input_device[0] = 0;
  request.op.input_device[1] = abi::kNoDevice;
  request.op.measure_cluster_size = cluster_size;
  request.limits.max_total_message_bytes = kMeasureMessageBytes;
  request.devices.push_back({file.fd(), file.size(), false});
  // qemu's file driver reports the holes of raw files as zeros, which count as no data: every
  // raw image of the chain gets the map of its file's data extents when data is counted.
  std::vector<sandbox::UniqueFd> extent_maps;
  if (chain.kind == ChainOpen::Kind::kOpened) {
    std::string failed;
    if (!attach_chain(&request, 0, 0, chain.images, cluster_size != 0, &extent_maps, &failed)) {
      *error = render::DiagnosticLine(diag.program(), "cannot map the extents of '" + failed + "'");
      return std::nullopt;
    }
    scale_for_chain_images(&request, chain.images.size(), 1);
  }
  // The walk reads metadata only, but its time still grows with the images' size.
  const uint64_t device_bytes = total_device_bytes(request);
  request.limits.wall_time = scaled_wall_time(kCompareTimeLimit, device_bytes);

  channel::MeasureSequence sequence(cluster_size);
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    *error = render::DiagnosticLine(diag.program(), run.failure);
    return std::nullopt;
  }
  const channel::MeasureReport& report = sequence.report();
  if (report.error && report.error->code() == guest::ERROR_BACKING_FILE_NOT_SUPPORTED) {
    *error =
        render::DiagnosticLine(diag.program(), "measure with backing files is not supported yet");
    return std::nullopt;
  }
  if (report.error && report.error->code() == guest::ERROR_DATA_FILE_NOT_SUPPORTED) {
    *error = render::DiagnosticLine(diag.program(),
                                    "measure with external data files is not supported yet");
    return std::nullopt;
  }
  if (report.error) {
    const render::ErrorText text = render::GuestErrorText(*report.error);
    if (report.result.kind() == guest::MEASURE_OPEN_FAILED) {
      *error = render::OpenErrorText(diag.program(), name, text);
    } else if (report.result.kind() == guest::MEASURE_SNAPSHOT_FAILED) {
      *error = text.preamble +
               render::DiagnosticLine(diag.program(), "Failed to load snapshot: " + text.message);
    } else {  // MEASURE_STATUS_FAILED: error_setg_errno(ret, "Unable to get block status")
      *error = text.preamble +
               render::DiagnosticLine(diag.program(), "Unable to get block status: " +
                                                          render::IoFailureText(*report.error));
    }
    return std::nullopt;
  }
  MeasureInput input;
  input.length = report.result.length();
  input.data_bytes = report.result.data_bytes();
  input.supports_bitmaps = report.result.supports_bitmaps();
  input.qcow2 = chain.kind == ChainOpen::Kind::kOpened && chain.images.front().qcow2;
  input.bitmaps_size = report.result.bitmaps_size();
  return input;
}

int run_measure_command(const Diagnostics& diag, const SandboxChoice& choice,
                        const std::string& help, bool unsafe_quirks,
                        const chain::RootOptions& roots, int argc, char** argv) {
  const MeasureParse parse = parse_measure_options(argc, argv);
  // cvtnum() warns as it parses --size, before anything else can fail.
  for (const std::string& warning : parse.warnings) diag.error(warning);
  switch (parse.error) {
    case MeasureParse::Error::kNone:
      if (parse.options.object_help) {
        write(stdout, *parse.options.object_help);
        return 0;
      }
      break;
    case MeasureParse::Error::kHelp:
      write(stdout, help);
      return 0;
    case MeasureParse::Error::kFailed:
    case MeasureParse::Error::kUnsupported:
      report_lines(diag, parse.message);
      write(stdout, parse.help_output);
      return 1;
  }
  const MeasureOptions& options = parse.options;
  const MeasurePlanResult planned =
      plan_measure(diag.program(), options.out_format, options.options, options.size);
  if (!options.filename) {
    write(stderr, planned.warnings);
    if (!planned.plan) {
      write(stderr, planned.error);
      return 1;
    }
    return render(options, compute_measure(*planned.plan, std::nullopt));
  }
  // qemu opens the source before it looks at -O and -o: an open error comes first. A target
  // that will fail needs only the open.
  const uint64_t cluster_size = planned.plan && planned.plan->target == MeasurePlan::Target::kQcow2
                                    ? planned.plan->qcow2.cluster_size
                                    : 0;
  std::string error;
  const std::optional<MeasureInput> input =
      measure_image_source(diag, choice, unsafe_quirks, roots, options, cluster_size, &error);
  if (!input) {
    write(stderr, error);
    return 1;
  }
  write(stderr, planned.warnings);  // -o is parsed once the source is open
  if (!planned.plan) {
    write(stderr, planned.error);
    return 1;
  }
  return render(options, compute_measure(*planned.plan, input));
}

}  // namespace instar::cli
