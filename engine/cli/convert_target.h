// convert_target.h: the -O qcow2 target of `convert`: its -o creation options as OpConfig fields,
// and the bound on the output file's size the host gives the sandbox.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/cli/creation_options.h"
#include "engine/cli/preallocation.h"
#include "guest/abi/abi.h"

namespace instar::cli {

struct Qcow2Target {
  uint32_t cluster_size = 65536;
  uint32_t refcount_bits = 16;
  uint32_t create_flags = 0;                          // abi::Qcow2CreateFlags
  uint32_t compression_type = 0;                      // 0 zlib, 1 zstd
  std::optional<std::string> backing_file;            // -o backing_file
  std::optional<std::string> backing_fmt;             // -o backing_fmt (a BlockdevDriver name)
  Preallocation preallocation = Preallocation::kOff;  // -o preallocation
};

// Whether `name` is one of qemu 7.2's BlockdevDriver values (as Debian builds it): what QAPI
// accepts for backing_fmt.
bool is_blockdev_driver(const std::string& name);

// The QAPI checks of qcow2_co_create_opts() on parsed -o options (the values of compat,
// backing_fmt, preallocation and compression_type, in that order) and the target they give,
// filled as far as the checks got. `backing_fmt` (-F) replaces -o backing_fmt. On failure returns
// qemu's message ("Parameter 'version' does not accept value 'x'").
std::optional<std::string> qcow2_target_values(
    const CreationOptions& opts, Qcow2Target* target,
    const std::optional<std::string>& backing_fmt = std::nullopt);

// The backing file name and format the header of a created qcow2 target records, into OpConfig's
// convert_backing_* fields (kConvertBackingName / kConvertBackingFmt); a name longer than the
// field is cut to it, which the guest's create() still refuses as too long.
void put_backing_names(const std::optional<std::string>& name,
                       const std::optional<std::string>& format, abi::OpConfig* op);

struct Qcow2TargetResult {
  std::optional<Qcow2Target> target;
  // On failure: the complete stderr text (qemu's lines), and whether qemu says it for the output
  // it was creating (then the output does not exist afterwards either).
  std::string error;
  // The error is one of qcow2_co_create_opts()' QAPI checks: qemu reports it only when it
  // creates, after its other checks; `target` then still carries the parsed options.
  bool at_create = false;
};

// img_convert's parse of -o against qcow2's create_opts, then the QAPI checks of
// qcow2_co_create_opts() that come before qcow2_co_create() (the values of compat and
// compression_type); the guest's Qcow2Writer::create() checks the rest. Options instar does not
// implement (data_file, encryption, ...) are refused. `backing_fmt` is -F, which
// replaces -o backing_fmt as add_old_style_options() does.
Qcow2TargetResult plan_qcow2_target(std::string_view program, const std::string& output,
                                    const std::string& options,
                                    const std::optional<std::string>& backing_fmt = std::nullopt);

// The host's half of qcow2 preallocation=falloc|full: the data area [start, end) the guest
// reported (ConvertResult.prealloc_*) for the file `fd` the host opened, allocated (falloc) or
// zero-filled (full) as file-posix does it. A range for another mode or beyond the device's
// `capacity` is refused. False with `*error`: qcow2_co_create()'s message.
bool preallocate_qcow2_data_area(int fd, const Qcow2Target& target, uint64_t capacity,
                                 uint64_t start, uint64_t end, std::string* error);

// The most bytes a qcow2 target of `virtual_size` bytes can take: the fully allocated size for
// the options (qcow2_calc_prealloc_size()) and, with -c, one partly used cluster for each
// metadata cluster that interrupts qcow2_alloc_bytes()' packing of compressed clusters.
uint64_t qcow2_output_bound(const Qcow2Target& target, uint64_t virtual_size, bool compressed);

}  // namespace instar::cli
