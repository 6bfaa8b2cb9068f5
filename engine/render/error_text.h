// qemu-img 7.2's diagnostic texts for guest error codes, and the "prog: Could not open" framing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "guest/abi/guest.pb.h"

namespace instar::render {

// The parts of one qemu error report.
struct ErrorText {
  // Lines qemu prints before the error itself, without the program prefix (qcow2 corruption
  // events go straight to stderr). Newline-terminated; usually empty.
  std::string preamble;
  // error_report() lines qemu prints before the error (vhdx's region and BAT checks): each gets
  // the program prefix. Newline-terminated; usually empty.
  std::string reports;
  // The message proper: for open failures, what follows "Could not open '<file>': ".
  std::string message;
  // error_append_hint() text, printed after the message line without prefix. Newline-terminated.
  std::string hint;
  // The message quotes the image's own name (a vmdk's extent is its own file, an errno-only
  // open failure repeats "Could not open"): OpenErrorText prints message, the name, then this.
  bool quotes_image = false;
  std::string after_image;
  // The hint quotes the image's name too (vhdx's log replay hint): hint, the name, this.
  bool hint_quotes_image = false;
  std::string hint_after_image;
};

// The text qemu-img 7.2 prints for a guest Error (block/qcow2.c, qcow2-snapshot.c,
// qcow2-bitmap.c, block/qcow.c), placeholders filled from error.args and, for the two codes whose
// qemu text quotes image names, error.name / error.feature_names (cut at their first NUL, as %s
// prints them), as guest.proto documents per code. Codes with no qemu counterpart (internal,
// config, unsupported op) get instar's own wording, marked as such.
ErrorText GuestErrorText(const guest::Error& error);

// strerror() of the errno a read or block status query failed with after the open, for the
// messages that quote it ("Could not read file metadata: %s"): qed's invalid table and cluster
// offsets fail with EINVAL, everything else instar reports as qemu's EIO.
std::string IoFailureText(const guest::Error& error);

// qemu's program name for diagnostics (error_set_progname): argv[0] without its directory.
// "/usr/bin/qemu-img" -> "qemu-img", "./instar" -> "instar".
std::string ProgramName(std::string_view argv0);

// "<program>: <message>\n": every qemu-img diagnostic line (error_report).
std::string DiagnosticLine(std::string_view program, std::string_view message);

// The whole stderr text of a failed open: preamble, then
// "<program>: Could not open '<file>': <message>\n", then the hint.
std::string OpenErrorText(std::string_view program, std::string_view filename,
                          const ErrorText& text);

// qcow2_signal_corruption() on a read-only image:
// "qcow2: Image is corrupt: <what>; further non-fatal corruption events will be suppressed\n".
// `event` may be given with or without its leading "Image is corrupt: ".
std::string CorruptionEventLine(std::string_view event);

// The warning qemu prints on open when a qcow2 has a bitmaps extension but autoclear bit 0 is
// clear (warn_report + error_printf; the second line has no trailing newline).
std::string BitmapsIgnoredWarning(std::string_view program, uint32_t qcow2_version);

}  // namespace instar::render
