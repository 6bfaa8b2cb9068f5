// image_argument.cc: -f lookup and the read-only open of an image operand, with qemu's texts.
#include "engine/cli/image_argument.h"

#include "engine/cli/format_name.h"

namespace instar::cli {

bool open_image_argument(const std::optional<std::string>& format_name, const std::string& filename,
                         abi::ImageFormat* format, ImageFile* image, std::string* message) {
  const std::string prefix = "Could not open '" + filename + "': ";
  *format = abi::ImageFormat::kProbe;
  if (format_name) {
    switch (lookup_format(*format_name, format)) {
      case FormatLookup::kSupported:
        break;
      case FormatLookup::kUnsupported:
        *message = "format '" + *format_name + "' is not supported by instar yet";
        return false;
      case FormatLookup::kUnknown:
        *message = prefix + "Unknown driver '" + *format_name + "'";
        return false;
    }
  }
  std::string open_error;
  if (!image->open_read_only(filename, &open_error)) {
    *message = prefix + open_error;
    return false;
  }
  return true;
}

}  // namespace instar::cli
