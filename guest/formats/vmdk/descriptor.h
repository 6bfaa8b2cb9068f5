// descriptor.h: the text descriptor lookups of block/vmdk.c (CID, parentCID, createType,
// parentFileNameHint), over the bytes qemu reads, with qemu's C-string and sscanf semantics.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"

namespace instar::vmdk {

// DESC_SIZE: the bytes qemu reads at the descriptor offset for the CID and the parent hint.
inline constexpr uint64_t kDescSize = 20 * 512;
// vmdk_read_desc() reads at most this much of a descriptor (1 MiB - 1).
inline constexpr uint64_t kDescReadMax = (uint64_t{1} << 20) - 1;
// createType's value buffer (char ct[128]), NUL included.
inline constexpr uint64_t kCreateTypeBufferSize = 128;
// bs->auto_backing_file (PATH_MAX), NUL included.
inline constexpr uint64_t kBackingNameBufferSize = 4096;

// vmdk_read_cid(): the hex number after "CID=" (parent: "parentCID=") at the first occurrence of
// that name in `desc`, which qemu NUL-terminates at its last byte. strstr stops at the first
// NUL, but the number is scanned from wherever the name's end points (sscanf "%x": leading
// white space, a sign, an optional 0x, saturating at ULONG_MAX, kept to 32 bits). False when
// the name is absent or no hex digit follows (qemu's -EINVAL).
bool read_cid(Bytes desc, bool parent, uint32_t* cid);

// vmdk_parse_description(): the text between `name` + 2 characters (its `="`) and the next '"'
// of the C string in `desc`. False when the name is absent, the value runs to the end of the
// string, or it needs more than `buffer_size` bytes with its NUL.
bool parse_option(Bytes desc, const char* name, uint64_t buffer_size, Bytes* value);

enum class HintResult { kNone, kFound, kInvalid };

// vmdk_parent_open(): the value of parentFileNameHint="..." in the first C string of `desc`
// (kDescSize bytes; qemu appends a NUL). kInvalid (-EINVAL) when no '"' closes it or it is
// longer than kBackingNameBufferSize - 1 bytes.
HintResult parent_hint(Bytes desc, Bytes* name);

// createType values vmdk_open_desc_file() accepts for a descriptor that names extent files.
bool is_descriptor_file_type(Bytes create_type);

}  // namespace instar::vmdk
