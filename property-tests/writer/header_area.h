// header_area.h: encodes cluster 0 (header, header extensions, backing file name).
#pragma once

#include <stdint.h>

#include <vector>

#include "property-tests/model/model.h"
#include "property-tests/writer/layout.h"

namespace instar::props {

// Writes the header and extensions into out[0, cluster size) from the model and the table
// positions already in `layout` (L1, refcount table, snapshot table); records the extension and
// backing-name placements in `layout`.
void write_header_area(const Model& m, std::vector<uint8_t>& out, Layout& layout);

}  // namespace instar::props
