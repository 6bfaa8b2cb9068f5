// qemu-img info text: bdrv_image_info_dump for humans, the QAPI visit + pretty JSON otherwise.
#include "engine/render/info_render.h"

#include <cinttypes>
#include <cstdio>

#include "engine/render/human_dump.h"
#include "engine/render/json_writer.h"
#include "engine/render/size_string.h"
#include "engine/render/snapshot_table.h"

namespace instar::render {

std::string RenderInfoHuman(const ImageInfo& info, const Profile& profile) {
  std::string out;
  out += "image: " + info.filename + "\n";
  out += "file format: " + info.format + "\n";
  char bytes[32];
  std::snprintf(bytes, sizeof(bytes), "%" PRId64, info.virtual_size);
  out += "virtual size: " + SizeToStr(static_cast<uint64_t>(info.virtual_size)) + " (" + bytes +
         " bytes)\n";
  out += "disk size: " +
         (info.actual_size ? SizeToStr(static_cast<uint64_t>(*info.actual_size))
                           : std::string("unavailable")) +
         "\n";
  if (info.encrypted.value_or(false)) out += "encrypted: yes\n";
  if (info.cluster_size) out += "cluster_size: " + std::to_string(*info.cluster_size) + "\n";
  if (info.dirty_flag.value_or(false)) out += "cleanly shut down: no\n";

  if (info.backing_filename) {
    out += "backing file: " + *info.backing_filename;
    if (!info.full_backing_filename) {
      out += " (cannot determine actual path)";
    } else if (*info.full_backing_filename != *info.backing_filename) {
      out += " (actual path: " + *info.full_backing_filename + ")";
    }
    out += "\n";
    if (info.backing_filename_format) {
      out += "backing file format: " + *info.backing_filename_format + "\n";
    }
  }

  if (info.snapshots) {
    out += "Snapshot list:\n";
    out += SnapshotTableHeader(profile) + "\n";
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
      out += SnapshotTableRow(row, profile) + "\n";
    }
  }

  if (info.format_specific) {
    const QDict* spec = info.format_specific->as_dict();
    const QObject* data = spec ? spec->Get("data") : nullptr;
    const bool empty = data == nullptr || (data->as_dict() && data->as_dict()->empty()) ||
                       (data->as_list() && data->as_list()->empty());
    if (!empty || profile.format_specific_header_when_empty) {
      out += "Format specific information:\n";
      if (data) AppendHumanDump(out, 1, *data);
    }
  }
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
