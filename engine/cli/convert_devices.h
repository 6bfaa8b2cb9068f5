// convert_devices.h: the host's side of a convert op's devices (convert and dd): the inputs
// as opened with their chains, their chain tables in the op, and the created output file.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/cli/backing_chain.h"
#include "engine/cli/compare_extents.h"
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

// Fills `links` with an opened chain's images, top first, adding each file (and a raw file's
// extent map: holes are zero extents in block status, as qemu's file driver finds them) as a
// read-only device.
template <typename AddDevice>
bool add_chain_links(const Diagnostics& diag, const ChainOpen& chain, abi::ChainLink* links,
                     const AddDevice& add_device, std::vector<sandbox::UniqueFd>* extent_maps) {
  for (size_t k = 0; k < chain.images.size() && k < abi::kMaxChainImages; ++k) {
    const ChainImage& image = chain.images[k];
    abi::ChainLink& link = links[k];
    link.device = add_device(image.fd, image.size, false);
    link.format = static_cast<uint32_t>(image.format);
    link.data_device = image.data_file.get() >= 0
                           ? add_device(image.data_file.get(), image.data_size, false)
                           : abi::kNoDevice;
    link.extent_device = abi::kNoDevice;
    if (image.extent_map) {
      sandbox::UniqueFd map = make_extent_map(image.fd, image.size);
      if (map.get() < 0) {
        diag.error("cannot map the extents of '" + image.display + "'");
        return false;
      }
      struct stat st {};
      const uint64_t size = fstat(map.get(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      link.extent_device = add_device(map.get(), size, false);
      extent_maps->push_back(std::move(map));
    }
  }
  return true;
}

// Adds a device to the request and returns its index.
uint32_t add_request_device(sandbox::Request* request, int fd, uint64_t size, bool writable);

// The first `opened` inputs as the convert op's input chains: each opened chain's images (with
// their data files and raw extent maps) or, for a top whose chain walk failed, the top alone
// (its open then fails in the guest, which reports why). `*images` counts the chain images.
bool put_inputs(const Diagnostics& diag, const std::vector<Input>& inputs, size_t opened,
                sandbox::Request* request, std::vector<sandbox::UniqueFd>* extent_maps,
                size_t* images);

}  // namespace instar::cli
