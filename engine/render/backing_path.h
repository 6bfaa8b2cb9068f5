// How qemu 7.2 turns an image's stored backing file name into the "full backing filename".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace instar::render {

// qemu's path_has_protocol(): a ':' comes before any '/' ("nbd:host", "json:{...}").
bool PathHasProtocol(std::string_view path);

// qemu's path_is_absolute() on POSIX: starts with '/'.
bool PathIsAbsolute(std::string_view path);

// qemu's bdrv_make_absolute_filename() for an image opened through the file protocol: a
// backing name that is absolute or carries a protocol prefix is used as is; otherwise it is
// appended to the image's directory prefix, i.e. `image_filename` up to and including its last
// '/' (or after a protocol prefix's ':'), without any normalisation: "sub/ov.qcow2" +
// "../v3.qcow2" gives "sub/../v3.qcow2", "ov.qcow2" + "v3.qcow2" gives "v3.qcow2".
// Returns nullopt when qemu gets none (empty backing name, or a json: image filename, for which
// qemu cannot generate a base directory); info then prints "(cannot determine actual path)".
std::optional<std::string> FullBackingFilename(std::string_view image_filename,
                                               std::string_view backing);

}  // namespace instar::render
