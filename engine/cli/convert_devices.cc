// convert_devices.cc: the inputs' chains as convert op devices and the created output file.
#include "engine/cli/convert_devices.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "engine/cli/image_file.h"
#include "engine/cli/raw_truncate.h"

namespace instar::cli {

std::string lock_error(const std::string& output) {
  return "Failed to get \"write\" lock\nIs another process using the image [" + output + "]?";
}

bool locked_by_inputs(int fd, const std::vector<Input>& inputs) {
  for (const Input& in : inputs) {
    if (SameFile(fd, in.operand.file.fd())) return true;
    for (const ChainImage& image : in.chain.images) {
      if (SameFile(fd, image.fd)) return true;
      if (image.data_file.get() >= 0 && SameFile(fd, image.data_file.get())) return true;
    }
  }
  return false;
}

bool create_output(const Diagnostics& diag, const std::string& name, const std::string& prefix,
                   uint64_t size, Preallocation preallocation, const FileAttributes& attributes,
                   const std::vector<Input>& inputs, Output* out) {
  int fd = open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  out->created = fd >= 0;
  if (fd < 0 && errno == EEXIST) fd = open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    diag.error(prefix + "Could not create '" + name + "': " + std::strerror(errno));
    return false;
  }
  out->fd = sandbox::UniqueFd(fd);
  // qemu takes the write lock before it truncates: an input is never clobbered.
  if (locked_by_inputs(fd, inputs)) {
    diag.error(prefix + lock_error(name));
    return false;
  }
  if (ftruncate(fd, 0) != 0) {
    diag.error(prefix + "Could not resize file: " + std::strerror(errno));
    return false;
  }
  if (const std::optional<std::string> warning = apply_file_attributes(fd, attributes)) {
    diag.error("warning: " + *warning);
  }
  std::string truncate_error;
  if (!truncate_new_file(fd, size, preallocation, &truncate_error)) {
    diag.error(prefix + truncate_error);
    return false;
  }
  out->size = size;
  return true;
}

bool add_chain_links(const Diagnostics& diag, const ChainOpen& chain, abi::ChainLink* links,
                     sandbox::Request* request, std::vector<sandbox::UniqueFd>* extent_maps) {
  std::string failed;
  if (attach_chain_links(request, chain.images, abi::kNoDevice, true, links, extent_maps,
                         &failed)) {
    return true;
  }
  diag.error("cannot map the extents of '" + failed + "'");
  return false;
}

bool put_inputs(const Diagnostics& diag, const std::vector<Input>& inputs, size_t opened,
                sandbox::Request* request, std::vector<sandbox::UniqueFd>* extent_maps,
                size_t* images) {
  abi::OpConfig& op = request->op;
  for (size_t i = 0; i < opened; ++i) {
    const ChainOpen& chain = inputs[i].chain;
    if (chain.kind != ChainOpen::Kind::kOpened) {
      op.convert_chain_length[i] = 1;
      op.convert_chain[i][0] = lone_link(add_request_device(request, inputs[i].operand.file.fd(),
                                                            inputs[i].operand.file.size(), false),
                                         inputs[i].operand.format);
      continue;
    }
    *images += chain.images.size();
    op.convert_chain_length[i] = static_cast<uint32_t>(chain.images.size());
    if (!add_chain_links(diag, chain, op.convert_chain[i], request, extent_maps)) return false;
  }
  return true;
}

}  // namespace instar::cli
