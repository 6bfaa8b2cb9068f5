// compare_text.cc: qprintf'd results and error_report'd failures of img_compare (qemu-img.c 7.2).
#include "engine/render/compare_text.h"

#include "engine/render/error_text.h"

namespace instar::render {

namespace {

// Open failures exit 2; every other failed step names the image and reports EIO's text.
std::string FailureText(std::string_view program, const guest::CompareResult& r,
                        const guest::Error& error, const std::string& filename) {
  const ErrorText text = GuestErrorText(error);
  switch (r.kind()) {
    case guest::COMPARE_OPEN_FAILED:
      return OpenErrorText(program, filename, text);
    case guest::COMPARE_STATUS_FAILED:
      return text.preamble +
             DiagnosticLine(program, "Sector allocation test failed for " + filename);
    default:  // COMPARE_READ_FAILED: qemu's strerror(-ret) of the failed read, always EIO here
      return text.preamble +
             DiagnosticLine(program, "Error while reading offset " + std::to_string(r.offset()) +
                                         " of " + filename + ": Input/output error");
  }
}

}  // namespace

CompareOutput RenderCompare(std::string_view program, const guest::CompareResult& result,
                            const std::optional<guest::Error>& error,
                            const std::string (&filenames)[2], bool quiet) {
  CompareOutput o;
  std::string out;
  if (result.size_mismatch()) out += "Warning: Image size mismatch!\n";
  const std::string offset = std::to_string(result.offset());
  const std::string& filename = filenames[result.image() == 1 ? 1 : 0];
  switch (result.kind()) {
    case guest::COMPARE_IDENTICAL:
      out += "Images are identical.\n";
      o.exit_code = 0;
      break;
    case guest::COMPARE_CONTENT_MISMATCH:
      out += "Content mismatch at offset " + offset + "!\n";
      o.exit_code = 1;
      break;
    case guest::COMPARE_STRICT_SIZE_MISMATCH:
      out += "Strict mode: Image size mismatch!\n";
      o.exit_code = 1;
      break;
    case guest::COMPARE_STRICT_STATUS_MISMATCH:
      out += "Strict mode: Offset " + offset + " block status mismatch!\n";
      o.exit_code = 1;
      break;
    case guest::COMPARE_OPEN_FAILED:
      o.exit_code = 2;
      break;
    case guest::COMPARE_STATUS_FAILED:
      o.exit_code = 3;
      break;
    case guest::COMPARE_READ_FAILED:
      o.exit_code = 4;
      break;
    default:  // FIRST_OPENED / unspecified: the caller decides; nothing to print
      o.exit_code = 0;
      break;
  }
  if (error && (result.kind() == guest::COMPARE_OPEN_FAILED ||
                result.kind() == guest::COMPARE_STATUS_FAILED ||
                result.kind() == guest::COMPARE_READ_FAILED)) {
    o.err = FailureText(program, result, *error, filename);
  }
  if (!quiet) o.out = out;
  return o;
}

}  // namespace instar::render
