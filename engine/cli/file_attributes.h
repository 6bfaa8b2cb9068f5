// file_attributes.h: the file attributes raw_co_create() gives a new image file: nocow and the
// (XFS) extent size hint, set as qemu sets them between truncating the file and sizing it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/cli/creation_options.h"

namespace instar::cli {

struct FileAttributes {
  bool nocow = false;             // -o nocow=on
  uint64_t extent_size_hint = 0;  // -o extent_size_hint (0 or absent: none)
};

// The attributes raw creation options ask for.
FileAttributes file_attributes(const CreationOptions& opts);

// Sets them on `fd`: nocow's FS_IOC_SETFLAGS failures are ignored, as qemu ignores them; a hint
// the filesystem refuses gives qemu's warning text (without "warning: "), else nullopt.
std::optional<std::string> apply_file_attributes(int fd, const FileAttributes& attributes);

}  // namespace instar::cli
