// header_fields.cc: field offsets of the qcow2 header (qcow2 spec, "Header") and extensions.
#include "property-tests/injectors/header_fields.h"

#include <algorithm>

namespace instar::props {

std::vector<Field> header_fields(const Model& m, const Layout& layout) {
  std::vector<Field> fields = {
      {"header.magic", 0, 4},
      {"header.version", 4, 4},
      {"header.backing_file_offset", 8, 8},
      {"header.backing_file_size", 16, 4},
      {"header.cluster_bits", 20, 4},
      {"header.size", 24, 8},
      {"header.crypt_method", 32, 4},
      {"header.l1_size", 36, 4},
      {"header.l1_table_offset", 40, 8},
      {"header.refcount_table_offset", 48, 8},
      {"header.refcount_table_clusters", 56, 4},
      {"header.nb_snapshots", 60, 4},
      {"header.snapshots_offset", 64, 8},
  };
  if (m.version == 3) {
    const std::vector<Field> v3 = {
        {"header.incompatible_features", 72, 8},
        {"header.compatible_features", 80, 8},
        {"header.autoclear_features", 88, 8},
        {"header.refcount_order", 96, 4},
        {"header.header_length", 100, 4},
        {"header.compression_type", 104, 1},
        {"header.padding", 105, 7},
    };
    fields.insert(fields.end(), v3.begin(), v3.end());
  }
  for (size_t i = 0; i < layout.extensions.size(); ++i) {
    const ExtensionPlacement& e = layout.extensions[i];
    const std::string name = "ext[" + std::to_string(i) + "]";
    fields.push_back({name + ".magic", e.offset, 4});
    fields.push_back({name + ".length", e.offset + 4, 4});
    // The first few data words (feature table entries, names); later words behave the same.
    for (uint32_t at = 0; at < e.length && at < 32; at += 8) {
      fields.push_back({name + ".data+" + std::to_string(at), e.offset + 8 + at,
                        std::min<uint32_t>(8, e.length - at)});
    }
  }
  fields.push_back({"extensions.end", layout.extensions_end, 8});
  if (layout.backing_file_size != 0) {
    fields.push_back({"backing_file_name[0]", layout.backing_file_offset, 1});
  }
  return fields;
}

}  // namespace instar::props
