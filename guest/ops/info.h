// info.h: the `info` operation: describe one image as qemu-img info would see it.
#pragma once

#include "guest/abi/abi.h"
#include "guest/lib/arena.h"
#include "guest/lib/block_source.h"
#include "guest/lib/message_sink.h"
#include "guest/lib/status.h"

namespace instar {

// Emits, for the image on `source` opened as `format`:
//   success: what the format's driver describes (FormatDriver::describe: ImageInfo, then for
//            qcow2 Qcow2Info.nb_snapshots Snapshot messages (table order), then
//            Qcow2Info.nb_bitmaps Bitmap messages (directory order)), then Done{status 0};
//   failure: Error (code, args, the image names its text quotes), then Done{status 1}.
// Everything is validated before ImageInfo goes out, so an Error never follows it unless a read
// fails the second time round. Returns an error only when a message could not be emitted.
// `no_io` opens the image as qemu-img info's BDRV_O_NO_IO open does (abi::kOpFlagNoIo).
Status run_info(BlockSource& source, abi::ImageFormat format, bool no_io, MessageSink& sink,
                Arena& arena);

}  // namespace instar
