// compare_command.cc: `compare` = open both files on the host, walk them in one sandbox run,
// render like qemu-img.
#include "engine/cli/compare_command.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/channel/compare_report.h"
#include "engine/cli/backing_chain.h"
#include "engine/cli/chain_devices.h"
#include "engine/cli/compare_options.h"
#include "engine/cli/guest_runner.h"
#include "engine/cli/image_argument.h"
#include "engine/cli/time_limits.h"
#include "engine/render/compare_text.h"
#include "engine/render/error_text.h"

namespace instar::cli {

namespace {

// compare's whole contract is [Error], CompareResult, Done: three small messages.
constexpr uint64_t kCompareMessageBytes = 256 * 1024;

void write(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
}

// The host's half of qemu's img_open for one image (engine/cli/image_argument.h). `warnings`
// gets qemu's warnings about the name (stderr text); on failure `error` is the complete stderr
// text.
bool open_on_host(const Diagnostics& diag, const CompareOptions& options, int i,
                  ImageOperand* image, std::string* warnings, std::string* error) {
  const std::string& name = options.filename[i];
  std::vector<std::string> name_warnings;
  std::string message;
  const bool opened = open_image_operand(name, options.image_opts, options.format[i], image,
                                         &name_warnings, &message);
  for (const std::string& warning : name_warnings) {
    *warnings += render::DiagnosticLine(diag.program(), "warning: " + warning);
  }
  if (!opened) {
    *error = render::DiagnosticLine(diag.program(), message);
    return false;
  }
  if (image->spec.no_backing) {
    // Unallocated clusters would then read as zeros, not from the backing file: a different
    // comparison, which instar does not model.
    *error = render::DiagnosticLine(diag.program(), no_backing_refusal(name, "compare"));
    return false;
  }
  return true;
}

}  // namespace

int run_compare_command(const Diagnostics& diag, const SandboxChoice& choice,
                        const std::string& help, bool unsafe_quirks,
                        const chain::RootOptions& roots, int argc, char** argv) {
  const CompareParse parse = parse_compare_options(argc, argv);
  switch (parse.error) {
    case CompareParse::Error::kNone:
      break;
    case CompareParse::Error::kUsage:
      return diag.usage_error(parse.message);
    case CompareParse::Error::kPlain:
      diag.error(parse.message);
      return 1;
    case CompareParse::Error::kUnsupported:
      diag.error(parse.message);
      return 2;
  }
  const CompareOptions& options = parse.options;
  if (options.object_help) {
    write(stdout, *options.object_help);
    return 0;
  }
  if (options.help) {
    write(stdout, help);
    return 0;
  }
  if (!is_cache_mode(options.cache)) {
    diag.error("Invalid source cache option: " + options.cache);
    return 2;
  }

  ImageOperand operands[2];
  std::string host_error;
  std::string warnings[2];
  const bool first_opened = open_on_host(diag, options, 0, &operands[0], &warnings[0], &host_error);
  write(stderr, warnings[0]);
  if (!first_opened) {
    write(stderr, host_error);
    return 2;
  }
  // qemu opens the first image completely before it looks at the second: if the second file
  // fails on the host, the guest still opens the first, whose error would come first.
  const bool two_images = open_on_host(diag, options, 1, &operands[1], &warnings[1], &host_error);
  // qemu warns about the second name when it opens it, after the first image.
  if (two_images) {
    write(stderr, warnings[1]);
  } else {
    host_error = warnings[1] + host_error;
  }

  std::string sandbox_error;
  std::unique_ptr<sandbox::Sandbox> sandbox = make_sandbox(choice, &sandbox_error);
  if (!sandbox) {
    diag.error(sandbox_error);
    return 2;
  }
  // qemu opens the first image completely (data file, backing chain) before the second. An
  // image whose top the guest cannot open goes to the compare run without a chain: the run
  // reports that open error in qemu's order.
  ChainOpen chains[2];
  for (int i = 0; i < (two_images ? 2 : 1); ++i) {
    ChainRequest chain_request;
    chain_request.top_fd = operands[i].file.fd();
    chain_request.top_size = operands[i].file.size();
    chain_request.top_display = options.filename[i];
    chain_request.top_path = operands[i].spec.display;
    chain_request.top_format = operands[i].format;
    chain_request.unsafe_quirks = unsafe_quirks;
    chain_request.roots = roots;
    chains[i] = OpenImageChain(diag, *sandbox, chain_request);
    if (chains[i].kind == ChainOpen::Kind::kFailed) {
      write(stderr, chains[i].error);
      return 2;
    }
    if (chains[i].kind == ChainOpen::Kind::kTopFailed) break;
  }

  sandbox::Request request;
  request.op.op = static_cast<uint32_t>(abi::Op::kCompare);
  request.op.flags = options.strict ? static_cast<uint32_t>(abi::kOpFlagStrict) : 0u;
  request.limits.max_total_message_bytes = kCompareMessageBytes;
  for (uint32_t i = 0; i < 2; ++i) {
    request.op.input_format[i] = static_cast<uint32_t>(operands[i].format);
    request.op.input_device[i] = i;
  }
  request.devices.push_back({operands[0].file.fd(), operands[0].file.size(), false});
  if (two_images) {
    request.devices.push_back({operands[1].file.fd(), operands[1].file.size(), false});
  } else {
    request.op.input_device[1] = abi::kMaxDevices;  // no such device: open image 0 only
  }
  // Holes of raw files show in block status, which strict mode compares: every raw image of a
  // chain gets the map of its file's data extents.
  std::vector<sandbox::UniqueFd> extent_maps;
  size_t images = 0;
  for (uint32_t i = 0; i < (two_images ? 2u : 1u); ++i) {
    if (chains[i].kind != ChainOpen::Kind::kOpened) continue;
    images += chains[i].images.size();
    std::string failed;
    if (!attach_chain(&request, i, i, chains[i].images, two_images, &extent_maps, &failed)) {
      diag.error("cannot map the extents of '" + failed + "'");
      return 2;
    }
  }
  scale_for_chain_images(&request, images, 2);
  // Compare reads whole images: its time grows with the bytes of every device it may read.
  const uint64_t device_bytes = total_device_bytes(request);
  request.limits.wall_time = scaled_wall_time(kCompareTimeLimit, device_bytes);

  channel::CompareSequence sequence(two_images);
  const GuestRun run = run_guest(*sandbox, request, sequence);
  if (!run.ok) {
    diag.error(run.failure);
    return 2;
  }
  const channel::CompareReport& report = sequence.report();
  if (!two_images && report.result.kind() == guest::COMPARE_FIRST_OPENED) {
    write(stderr, host_error);
    return 2;
  }
  // Not qemu errors: what instar cannot compare yet is refused in instar's own words.
  if (report.error && report.error->code() == guest::ERROR_BACKING_FILE_NOT_SUPPORTED) {
    diag.error("compare with backing files is not supported yet");
    return 2;
  }
  if (report.error && report.error->code() == guest::ERROR_DATA_FILE_NOT_SUPPORTED) {
    diag.error("compare with external data files is not supported yet");
    return 2;
  }
  const render::CompareOutput output = render::RenderCompare(
      diag.program(), report.result, report.error, options.filename, options.quiet);
  write(stdout, output.out);
  write(stderr, output.err);
  return output.exit_code;
}

}  // namespace instar::cli
