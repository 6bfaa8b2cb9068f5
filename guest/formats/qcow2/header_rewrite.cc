// header_rewrite.cc: the open image's state as qcow2_update_header() writes it.
#include "guest/formats/qcow2/header_rewrite.h"

#include "guest/formats/qcow2/limits.h"
#include "guest/formats/windowed_reader.h"

namespace instar::qcow2 {

Status prepare_header_rewrite(const Metadata& m, BlockSource& source, Arena& arena,
                              HeaderRewrite* out) {
  const Header& h = m.header;
  const uint64_t cluster_size = h.cluster_size();
  uint8_t* old_cluster = arena.allocate_array<uint8_t>(cluster_size);
  uint8_t* cluster = arena.allocate_array<uint8_t>(cluster_size);
  if (old_cluster == nullptr || cluster == nullptr) {
    return Status(instar_guest_ErrorCode_ERROR_INTERNAL);
  }
  INSTAR_TRY(read_zero_filled(source, 0, MutableBytes(old_cluster, cluster_size)));
  out->old_cluster = MutableBytes(old_cluster, cluster_size);
  out->cluster = MutableBytes(cluster, cluster_size);
  HeaderFields& f = out->fields;
  f = HeaderFields();
  f.version = h.version;
  f.cluster_bits = h.cluster_bits;
  f.size = h.virtual_size();
  f.l1_size = h.l1_size;
  f.l1_table_offset = h.l1_table_offset;
  f.refcount_table_offset = h.refcount_table_offset;
  f.refcount_table_clusters = h.refcount_table_clusters;
  f.nb_snapshots = h.nb_snapshots;
  f.snapshots_offset = h.snapshots_offset;
  f.incompatible_features = h.incompatible_features;
  f.compatible_features = h.compatible_features;
  f.autoclear_features = h.autoclear_features;
  f.refcount_order = h.refcount_order;
  f.compression_type = h.compression_type;
  const uint64_t start = h.version >= 3 ? h.header_length : kV2HeaderLength;
  const uint64_t end = h.extensions_end();
  if (end > start && end <= cluster_size) {
    f.kept_extensions = Bytes(old_cluster + start, end - start);
  }
  if (m.extensions.has_backing_format) f.backing_format = m.extensions.backing_format;
  if (m.has_backing_file) f.backing_file = m.backing_file;
  return Status::Ok();
}

Status write_header(HeaderRewrite& rewrite, BlockSink& sink) {
  INSTAR_TRY(build_header_cluster(rewrite.fields, rewrite.cluster));
  INSTAR_TRY(sink.write_at(0, Bytes(rewrite.cluster.data, rewrite.cluster.size)));
  return sink.flush();
}

}  // namespace instar::qcow2
