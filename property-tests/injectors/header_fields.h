// header_fields.h: the table of single fields in the header area a mutation may rewrite.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "property-tests/model/model.h"
#include "property-tests/writer/layout.h"

namespace instar::props {

struct Field {
  std::string name;
  uint64_t offset = 0;
  uint32_t width = 0;  // bytes, big-endian
};

// Header fields of the image's version, every extension's magic, length and leading data words,
// the end marker and the backing file name's first byte (qcow2_format.py-style table).
std::vector<Field> header_fields(const Model& m, const Layout& layout);

}  // namespace instar::props
