// open.h: qemu 7.2's qcow2_do_open() as `qemu-img info` runs it (read-only, no data I/O).
#pragma once

#include <stdint.h>

#include "guest/formats/qcow2/header.h"
#include "guest/formats/qcow2/header_extensions.h"
#include "guest/formats/windowed_reader.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/bytes.h"
#include "guest/lib/error_names.h"
#include "guest/lib/status.h"

namespace instar::qcow2 {

// Everything info needs from an image that opened. Byte views point into arena memory.
struct Metadata {
  Header header;
  HeaderExtensions extensions;
  bool has_backing_file = false;
  Bytes backing_file;  // up to the first NUL
};

// The image names that go with some open errors (Error.name, Error.feature_names): the feature
// table's names of ERROR_UNSUPPORTED_FEATURES, the bitmap name of ERROR_BITMAP_CONSTRAINTS.
using OpenErrorDetail = ErrorNames;

// Buffers the table walks share with the caller, so a second walk (to emit the entries) is
// served from the window without new reads.
struct TableScratch {
  WindowedReader* reader;
  MutableBytes names;  // max(kSnapshotNameScratchSize, kBitmapNameScratchSize) bytes
};

// Reads the header area in one read (two for clusters over 128 KiB) and validates in qemu's
// order: header basics, unknown incompatible features, header layout, extensions, external data
// file, backing file name, the whole snapshot table and the bitmap directory. `arena` keeps the
// header area alive for `out`'s views.
// With OpenMode::kCheck (qemu's BDRV_O_CHECK) the snapshot table is neither validated nor read:
// the check does that (validate_snapshot_table, read_snapshot_table).
// `crypto`: how an encrypted image is opened. qemu-img info opens with BDRV_O_NO_IO, which reads
// and checks a LUKS header without a key; every other open needs `encrypt.key-secret`, which
// instar does not take yet, so it ends with ERROR_ENCRYPTION_KEY_REQUIRED where qemu asks for it.
enum class CryptoAccess { kKeyRequired, kHeaderOnly };
Status open_image(BlockSource& source, Arena& arena, const TableScratch& tables, Metadata* out,
                  OpenErrorDetail* detail, OpenMode mode = OpenMode::kNormal,
                  CryptoAccess crypto = CryptoAccess::kKeyRequired);

// Reads every entry of the snapshot table the header names, with qemu's per-entry checks.
Status read_snapshot_table(const Header& header, const TableScratch& tables);

}  // namespace instar::qcow2
