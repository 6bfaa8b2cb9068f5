// safe_detection.h: when a probe that fell back to raw may be read as raw (docs/chains.md §3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "guest/abi/guest.pb.h"

namespace instar::cli {

// For an image opened without a format (no -f, no recorded backing format) that the guest probed
// as `info.format()`: nullopt when it may be read, else the diagnostic without the program
// prefix. Accepted: anything the guest did not call raw, files shorter than qemu's shortest
// probed magic, a zero first sector, an MBR or a GPT, or anything with `unsafe_quirks`. A raw
// probe the guest did not classify fails closed (a sandbox protocol error naming `sandbox`).
// `hint` completes "use ..., or --unsafe-quirks" (e.g. "-f raw" for a top image, empty else).
std::optional<std::string> ProbedRawRefusal(const guest::ImageInfo& info, uint64_t file_size,
                                            bool unsafe_quirks, std::string_view display,
                                            std::string_view hint, std::string_view sandbox);

// The same for a writable open (resize, snapshot), whose guest reports only the raw head.
std::optional<std::string> ProbedRawHeadRefusal(guest::RawHead head, uint64_t file_size,
                                                bool unsafe_quirks, std::string_view display,
                                                std::string_view sandbox);

// bdrv_open()'s warning for a probed raw image opened for writing (three lines).
std::string ProbedRawWriteWarning(std::string_view name);

// An image opened for writing (resize, rebase) that the guest probed as raw with `head`: the
// refusal above, or (nullopt) nothing to refuse and bdrv_open()'s warning, which names `path`,
// goes into `*warning`.
std::optional<std::string> ProbedRawWriteRefusal(guest::RawHead head, uint64_t file_size,
                                                 bool unsafe_quirks, std::string_view display,
                                                 std::string_view path, std::string_view sandbox,
                                                 std::string* warning);

}  // namespace instar::cli
