// backing_chain.h: opening an image with its backing chain and external data files, as qemu's
// bdrv_open() does for check and compare, through engine/chain's allow-list (docs/chains.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/chain/chain_walker.h"
#include "engine/chain/root_walk.h"
#include "engine/cli/diagnostics.h"
#include "engine/sandbox/sandbox.h"
#include "engine/sandbox/unique_fd.h"
#include "guest/abi/abi.h"

namespace instar::cli {

// One image of an opened chain, top first.
struct ChainImage {
  int fd = -1;  // the top: the caller's fd; backing files: owned.get()
  uint64_t size = 0;
  std::string display;                                 // qemu's name for it
  abi::ImageFormat format = abi::ImageFormat::kProbe;  // -f, the parent's backing format, or probe
  bool qcow2 = false;                                  // what the guest found
  bool raw = false;                                    // the guest found raw: sized by its file
  // The guest's block status needs the data extents (SEEK_DATA/SEEK_HOLE) of the file holding the
  // image's data, as qemu's file driver answers: raw images, and the formats whose block status
  // may say BDRV_BLOCK_RECURSE (a static vdi, a fixed vpc, a qcow2 whose file has holes, which
  // may have preallocated metadata).
  bool extent_map = false;
  uint64_t virtual_size = 0;    // ImageInfo.virtual_size the guest found
  sandbox::UniqueFd owned;      // backing files: the open file
  sandbox::UniqueFd data_file;  // a qcow2's external data file, when it declares one
  uint64_t data_size = 0;
  std::string data_display;  // qemu's name for the data file (its stored name)
};

struct ChainOpen {
  enum class Kind {
    kOpened,     // `images` is the whole chain
    kTopFailed,  // the guest cannot open the top image: the caller's own op reports why
    kFailed,     // `error` is the complete stderr text
  };
  Kind kind = Kind::kFailed;
  std::vector<ChainImage> images;
  std::string error;
};

struct ChainRequest {
  int top_fd = -1;
  uint64_t top_size = 0;
  std::string top_display;  // the name as given: qemu's open errors name it
  // The top's local file name as qemu shows it (image_spec.h's display): the allow-list is rooted
  // at its directory and its backing names continue from it. Empty: top_display.
  std::string top_path;
  bool no_backing = false;  // "backing": null: the backing chain is not opened
  abi::ImageFormat top_format = abi::ImageFormat::kProbe;
  bool unsafe_quirks = false;  // probed raw backing files: accept unrecognised content
  chain::RootOptions roots;    // where backing and data files may lie (docs/chains.md §2)
};

// bdrv_get_full_backing_filename_from_filename() for a backing name given on the command line
// (create -b, rebase -b): a relative name is relative to `image`'s directory (path_combine()).
std::string FullBackingName(const std::string& image, const std::string& backing);

// What a failed walk step says after "Could not open '<image>': " or "Could not open backing
// file: ": qemu's reason without the "Could not open '<name>': " its info --backing-chain prints
// first; instar's own refusals keep the name they refuse.
std::string ChainStepReason(const chain::ChainStep& step);

// Opens the top image's external data file and backing chain as qemu 7.2's bdrv_open() does
// (the data file while the qcow2 opens, then the backing file, recursively), one sandboxed `info`
// per image to learn what each one names. A failure reads as qemu reports it for the top image:
// "Could not open '<top>': " then "Could not open backing file: " once per level, then the
// reason (see docs/chains.md for instar's own refusals).
ChainOpen OpenImageChain(const Diagnostics& diag, sandbox::Sandbox& sandbox,
                         const ChainRequest& request);

}  // namespace instar::cli
