// qemu-img info output, human and JSON, for one image and for a --backing-chain list.
#pragma once

#include <string>
#include <vector>

#include "engine/render/image_info.h"
#include "engine/render/profile.h"
#include "engine/render/qdict.h"

namespace instar::render {

// The human block of one image (bdrv_image_info_dump), every line newline-terminated:
// image / file format / virtual size / disk size / encrypted / cluster_size / cleanly shut down /
// backing file (+ actual path) / backing file format / Block limits (10.2 --limits) / Snapshot
// list / Format specific information; then, when the info has children (8.0+ profiles), a "Child
// node '/<name>':" section per child, indented one level.
std::string RenderInfoHuman(const ImageInfo& info, const Profile& profile);

// The JSON of one image as `qemu-img info --output=json` prints it, with the final newline.
std::string RenderInfoJson(const ImageInfo& info, const Profile& profile);

// --backing-chain, human: the per-image blocks with one blank line between them, none at the end.
std::string JoinChainHuman(const std::vector<std::string>& blocks);

// --backing-chain, JSON: always an array (even of one image), with the final newline.
std::string RenderChainJson(const std::vector<ImageInfo>& chain, const Profile& profile);

}  // namespace instar::render
