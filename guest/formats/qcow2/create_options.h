// create_options.h: the `qemu-img create -f qcow2 -o ...` options and qemu's checks on them.
#pragma once

#include <stdint.h>

#include "guest/lib/bytes.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// PreallocMode: falloc and full differ only in what the host does with the data area.
enum class Preallocation : uint8_t { kOff, kMetadata, kFalloc, kFull };

// BlockdevCreateOptionsQcow2 after qcow2_co_create_opts() parsed the command line. Names are the
// bytes the user gave (no NUL); an absent name is empty with has_* false.
struct Qcow2CreateOptions {
  uint64_t size = 0;  // bytes; create rounds it up to 512 as qcow2_co_create_opts() does
  uint32_t cluster_size = 65536;
  bool compat_v3 = true;  // compat=1.1 (version 3); false is compat=0.10
  uint32_t refcount_bits = 16;
  bool lazy_refcounts = false;
  bool extended_l2 = false;
  uint8_t compression_type = 0;  // kCompressionZlib / kCompressionZstd
  bool has_backing_file = false;
  Bytes backing_file;
  bool has_backing_fmt = false;
  Bytes backing_fmt;
  Preallocation preallocation = Preallocation::kOff;
  bool has_data_file = false;
  Bytes data_file;
  bool data_file_raw = false;
};

// The checks of qcow2_co_create() in its order, before anything is written.
Status validate_create_options(const Qcow2CreateOptions& options);

// log2 of a power of two.
constexpr uint32_t log2_of(uint64_t v) {
  uint32_t bits = 0;
  while (v > 1) {
    v >>= 1;
    ++bits;
  }
  return bits;
}

}  // namespace instar::qcow2
