// convert_devices.h: the host's side of a convert op's devices (convert and dd): the inputs
// as opened with their chains, their chain tables in the op, and the created output file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/cli/backing_chain.h"
#include "engine/cli/chain_devices.h"
#include "engine/cli/diagnostics.h"
#include "engine/cli/file_attributes.h"
#include "engine/cli/image_argument.h"
#include "engine/cli/preallocation.h"
#include "engine/sandbox/sandbox.h"
#include "engine/sandbox/unique_fd.h"
#include "guest/abi/abi.h"

namespace instar::cli {

// One input as opened on the host, with its chain.
struct Input {
  ImageOperand operand;  // the open file, its format and what its name means
  ChainOpen chain;
};

// qemu's write-lock failure text for `output`.
std::string lock_error(const std::string& output);

// The output: created as raw_co_create() does (O_CREAT, mode 0644 less the umask, truncated to
// the virtual size; a qcow2 target's file to 0, the guest writes it) or, with -n, opened as it
// is.
struct Output {
  sandbox::UniqueFd fd;
  bool created = false;  // the file did not exist before this run
  uint64_t size = 0;
};

// The output is one of the inputs' files (qemu's write lock on it fails).
bool locked_by_inputs(int fd, const std::vector<Input>& inputs);

// Creates (or truncates) the output file `name` of `size` bytes; errors are reported as
// `prefix` + qemu's reason ("<out>: error while converting raw: ", dd's "<out>: error while
// creating output image: ").
bool create_output(const Diagnostics& diag, const std::string& name, const std::string& prefix,
                   uint64_t size, Preallocation preallocation, const FileAttributes& attributes,
                   const std::vector<Input>& inputs, Output* out);

// attach_chain_links() for convert (every device appended, extent maps always), reporting an
// extent map it cannot make.
bool add_chain_links(const Diagnostics& diag, const ChainOpen& chain, abi::ChainLink* links,
                     sandbox::Request* request, std::vector<sandbox::UniqueFd>* extent_maps);

// The first `opened` inputs as the convert op's input chains: each opened chain's images (with
// their data files and raw extent maps) or, for a top whose chain walk failed, the top alone
// (its open then fails in the guest, which reports why). `*images` counts the chain images.
bool put_inputs(const Diagnostics& diag, const std::vector<Input>& inputs, size_t opened,
                sandbox::Request* request, std::vector<sandbox::UniqueFd>* extent_maps,
                size_t* images);

}  // namespace instar::cli
