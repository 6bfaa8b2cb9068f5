// writable_image.h: the image an in-place subcommand (resize, rebase) changes: its name
// resolved, its -f checked and the file opened read-write, with qemu-img's errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/cli/diagnostics.h"
#include "engine/cli/image_file.h"
#include "engine/cli/image_spec.h"
#include "guest/abi/abi.h"
#include "guest/abi/guest.pb.h"

namespace instar::cli {

struct WritableImage {
  ImageSpec spec;
  abi::ImageFormat format = abi::ImageFormat::kProbe;  // kProbe: no -f, the guest probes
  ImageFile file;
};

// img_open() of `filename` for writing, as resize and rebase do it: `Could not open ...` and
// `Unknown driver` in qemu's words, `<command> -f <fmt> is not supported by instar yet` for a
// format other than raw and qcow2. False when an error was reported.
bool OpenWritableImage(const Diagnostics& diag, std::string_view command,
                       const std::string& filename, bool image_opts,
                       const std::optional<std::string>& format_option, WritableImage* out);

// What the guest said about opening `image`: `open_error` (the guest's open failure, printed
// as qemu's "Could not open" text), or the format it opened as with the probed raw head (instar's
// safe detection refuses, or qemu's warning for a probed raw image opened for writing is
// printed). False when the run ends here with exit 1.
bool ReportWritableOpen(const Diagnostics& diag, const WritableImage& image,
                        const guest::Error* open_error, guest::Format format,
                        guest::RawHead raw_head, bool unsafe_quirks,
                        const std::string& sandbox_name);

// An in-place op's failure after the open (instar's refusals, qemu's errors the guest names) in
// qemu-img's words: the error's preamble lines, the message with the program prefix, its hint.
void ReportGuestError(const Diagnostics& diag, const guest::Error& error);

}  // namespace instar::cli
