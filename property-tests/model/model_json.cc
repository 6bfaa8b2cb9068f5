// model_json.cc: every Model field as JSON, so a sidecar fully describes its image.
#include "property-tests/model/model_json.h"

#include "property-tests/support/json.h"

namespace instar::props {

namespace {

const char* kind_name(ClusterKind kind) {
  switch (kind) {
    case ClusterKind::kData:
      return "data";
    case ClusterKind::kZero:
      return "zero";
    case ClusterKind::kZeroAllocated:
      return "zero-allocated";
    case ClusterKind::kCompressed:
      return "compressed";
  }
  return "?";
}

const char* pattern_name(PatternKind kind) {
  switch (kind) {
    case PatternKind::kFill:
      return "fill";
    case PatternKind::kCounter:
      return "counter";
    case PatternKind::kNoise:
      return "noise";
  }
  return "?";
}

std::string optional_string(const std::optional<std::string>& s) {
  return s ? json_quote(*s) : "null";
}

std::string snapshot_json(const Snapshot& s) {
  return JsonObject()
      .str("id", s.id)
      .str("name", s.name)
      .num("date_sec", s.date_sec)
      .num("date_nsec", s.date_nsec)
      .num("vm_clock_nsec", s.vm_clock_nsec)
      .num("vm_state_size", s.vm_state_size)
      .num("extra_data_size", s.extra_data_size)
      .raw("icount", s.icount ? std::to_string(*s.icount) : "null")
      .num("shared_l2_mask", s.shared_l2_mask)
      .dump();
}

std::string cluster_json(const GuestCluster& c) {
  return JsonObject()
      .num("index", c.index)
      .str("kind", kind_name(c.kind))
      .str("pattern", pattern_name(c.pattern.kind))
      .num("seed", c.pattern.seed)
      .num("alloc_mask", c.alloc_mask)
      .num("zero_mask", c.zero_mask)
      .dump();
}

std::string extension_json(const UnknownExtension& e) {
  std::string hex;
  static const char digits[] = "0123456789abcdef";
  for (const uint8_t b : e.data) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  return JsonObject().num("magic", e.magic).str("data_hex", hex).dump();
}

}  // namespace

std::string to_json(const Model& m) {
  std::vector<std::string> snapshots, clusters, extensions;
  for (const Snapshot& s : m.snapshots) snapshots.push_back(snapshot_json(s));
  for (const GuestCluster& c : m.clusters) clusters.push_back(cluster_json(c));
  for (const UnknownExtension& e : m.unknown_extensions) extensions.push_back(extension_json(e));
  return JsonObject()
      .num("version", m.version)
      .num("cluster_bits", m.cluster_bits)
      .num("refcount_order", m.refcount_order)
      .num("virtual_size", m.virtual_size)
      .boolean("lazy_refcounts", m.lazy_refcounts)
      .boolean("extended_l2", m.extended_l2)
      .str("compression", m.compression == Compression::kZstd ? "zstd" : "zlib")
      .boolean("dirty", m.dirty)
      .boolean("corrupt", m.corrupt)
      .boolean("feature_table", m.feature_table)
      .raw("backing_file", optional_string(m.backing_file))
      .raw("backing_format", optional_string(m.backing_format))
      .raw("data_file", optional_string(m.data_file))
      .boolean("data_file_raw", m.data_file_raw)
      .raw("unknown_extensions", json_array(extensions))
      .raw("snapshots", json_array(snapshots))
      .raw("clusters", json_array(clusters))
      .dump();
}

void showValue(const Model& m, std::ostream& os) {
  os << to_json(m);
}

}  // namespace instar::props
