// safe_detection.cc: the accepted heads of probed raw images, and the refusal text.
#include "engine/cli/safe_detection.h"

namespace instar::cli {

namespace {

// The shortest magic any qemu 7.2 format probe looks for ("QFI\xfb", "KDMV", "QEDF"); qemu probes
// only the bytes a file has, so a shorter file is raw to every qemu.
constexpr uint64_t kShortestProbedMagic = 4;

}  // namespace

std::optional<std::string> ProbedRawRefusal(const guest::ImageInfo& info, uint64_t file_size,
                                            bool unsafe_quirks, std::string_view display,
                                            std::string_view hint, std::string_view sandbox) {
  if (info.format() != guest::FORMAT_RAW || unsafe_quirks) return std::nullopt;
  if (file_size < kShortestProbedMagic) return std::nullopt;
  switch (info.raw_head()) {
    case guest::RAW_HEAD_ZERO_SECTOR:
    case guest::RAW_HEAD_MBR:
    case guest::RAW_HEAD_GPT:
      return std::nullopt;
    case guest::RAW_HEAD_UNRECOGNISED:
      return "Could not open '" + std::string(display) +
             "': instar does not recognise this image format and will not guess raw (use " +
             (hint.empty() ? std::string() : std::string(hint) + ", or ") +
             "--unsafe-quirks to read unrecognised content as raw)";
    default:
      // The guest must classify every probed raw image; anything else fails closed.
      return "sandbox (" + std::string(sandbox) +
             "): probed raw image without a head classification";
  }
}

std::optional<std::string> ProbedRawHeadRefusal(guest::RawHead head, uint64_t file_size,
                                                bool unsafe_quirks, std::string_view display,
                                                std::string_view sandbox) {
  guest::ImageInfo info;
  info.set_format(guest::FORMAT_RAW);
  info.set_raw_head(head);
  return ProbedRawRefusal(info, file_size, unsafe_quirks, display, "-f raw", sandbox);
}

std::string ProbedRawWriteWarning(std::string_view name) {
  return "WARNING: Image format was not specified for '" + std::string(name) +
         "' and probing guessed raw.\n"
         "         Automatically detecting the format is dangerous for raw images, write "
         "operations on block 0 will be restricted.\n"
         "         Specify the 'raw' format explicitly to remove the restrictions.\n";
}

std::optional<std::string> ProbedRawWriteRefusal(guest::RawHead head, uint64_t file_size,
                                                 bool unsafe_quirks, std::string_view display,
                                                 std::string_view path, std::string_view sandbox,
                                                 std::string* warning) {
  std::optional<std::string> refusal =
      ProbedRawHeadRefusal(head, file_size, unsafe_quirks, display, sandbox);
  if (!refusal) *warning = ProbedRawWriteWarning(path);
  return refusal;
}

}  // namespace instar::cli
