// qemu-img info text: bdrv_image_info_dump for humans, the QAPI visit + pretty JSON otherwise.
#include "engine/render/info_render.h"

#include <cinttypes>
#include <cstdio>

#include "engine/render/block_limits.h"
#include "engine/render/human_dump.h"
#include "engine/render/json_writer.h"
#include "engine/render/size_string.h"
#include "engine/render/snapshot_table.h"

namespace instar::render {

namespace {

// One node as bdrv_node_info_dump() prints it (7.2's bdrv_image_info_dump() is the same at
// indentation 0): every line starts with `ind`. A protocol node (8.0+: one without children)
// says filename / protocol type / file length where an image says image / file format / virtual
// size.
void AppendNodeHuman(std::string& out, const ImageInfo& info, const Profile& profile,
                     int indentation) {
  const std::string ind(static_cast<size_t>(indentation) * 4, ' ');
  const bool protocol = info.children && info.children->empty();
  out += ind + (protocol ? "filename: " : "image: ") + info.filename + "\n";
  out += ind + (protocol ? "protocol type: " : "file format: ") + info.format + "\n";
  char bytes[32];
  std::snprintf(bytes, sizeof(bytes), "%" PRId64, info.virtual_size);
  out += ind + (protocol ? "file length: " : "virtual size: ") +
         SizeToStr(static_cast<uint64_t>(info.virtual_size)) + " (" + bytes + " bytes)\n";
  out += ind + "disk size: " +
         (info.actual_size ? SizeToStr(static_cast<uint64_t>(*info.actual_size))
                           : std::string("unavailable")) +
         "\n";
  if (info.encrypted.value_or(false)) out += ind + "encrypted: yes\n";
  if (info.cluster_size) {
    out += ind + "cluster_size: " + std::to_string(*info.cluster_size) + "\n";
  }
  if (info.dirty_flag.value_or(false)) out += ind + "cleanly shut down: no\n";

  if (info.backing_filename) {
    out += ind + "backing file: " + *info.backing_filename;
    if (!info.full_backing_filename) {
      out += " (cannot determine actual path)";
    } else if (*info.full_backing_filename != *info.backing_filename) {
      out += " (actual path: " + *info.full_backing_filename + ")";
    }
    out += "\n";
    if (info.backing_filename_format) {
      out += ind + "backing file format: " + *info.backing_filename_format + "\n";
    }
  }

  // 10.2 bdrv_image_info_limits_dump(): the BlockLimitsInfo visit dumped one level deeper,
  // between the backing file lines and the snapshot list (never empty: request-alignment,
  // max-iov and the memory alignments are always members).
  if (info.limits) {
    out += ind + "Block limits:\n";
    AppendHumanDump(out, indentation + 1, BlockLimitsToQObject(*info.limits));
  }

  if (info.snapshots) {
    std::vector<SnapshotRow> rows;
    for (const SnapshotInfo& sn : *info.snapshots) {
      // qemu converts SnapshotInfo back to QEMUSnapshotInfo for printing.
      SnapshotRow row;
      row.id = sn.id;
      row.name = sn.name;
      row.vm_state_size = static_cast<uint64_t>(sn.vm_state_size);
      row.date_sec = static_cast<uint32_t>(sn.date_sec);
      row.vm_clock_nsec = static_cast<uint64_t>(sn.vm_clock_sec) * 1000000000u +
                          static_cast<uint64_t>(sn.vm_clock_nsec);
      row.icount = sn.icount ? static_cast<uint64_t>(*sn.icount) : UINT64_MAX;
      rows.push_back(row);
    }
    out += SnapshotListText(rows, profile, ind);
  }

  if (info.format_specific) {
    const QDict* spec = info.format_specific->as_dict();
    const QObject* data = spec ? spec->Get("data") : nullptr;
    const bool empty = data == nullptr || (data->as_dict() && data->as_dict()->empty()) ||
                       (data->as_list() && data->as_list()->empty());
    if (!empty || profile.format_specific_header_when_empty) {
      out += ind + "Format specific information:\n";
      if (data) AppendHumanDump(out, indentation + 1, *data);
    }
  }
}

// qemu-img.c dump_human_image_info() (8.0+): the node, then each child under
// "Child node '<path><name>':" one level deeper, its own children under "<path><name>/".
void AppendGraphHuman(std::string& out, const ImageInfo& info, const Profile& profile,
                      int indentation, const std::string& path) {
  AppendNodeHuman(out, info, profile, indentation);
  if (!info.children) return;
  const std::string ind(static_cast<size_t>(indentation) * 4, ' ');
  for (const ChildNode& child : *info.children) {
    out += ind + "Child node '" + path + child.name + "':\n";
    AppendGraphHuman(out, child.info, profile, indentation + 1, path + child.name + "/");
  }
}

}  // namespace

std::string RenderInfoHuman(const ImageInfo& info, const Profile& profile) {
  std::string out;
  AppendGraphHuman(out, info, profile, 0, "/");
  return out;
}

std::string RenderInfoJson(const ImageInfo& info, const Profile& /*profile*/) {
  return ToJsonPretty(ImageInfoToQObject(info)) + "\n";
}

std::string JoinChainHuman(const std::vector<std::string>& blocks) {
  std::string out;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i != 0) out += "\n";
    out += blocks[i];
  }
  return out;
}

std::string RenderChainJson(const std::vector<ImageInfo>& chain, const Profile& /*profile*/) {
  QList list;
  for (const ImageInfo& info : chain) list.push_back(ImageInfoToQObject(info));
  return ToJsonPretty(QObject::List(std::move(list))) + "\n";
}

}  // namespace instar::render
