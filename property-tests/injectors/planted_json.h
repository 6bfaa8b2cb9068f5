// planted_json.h: Planted -> JSON for imagegen sidecars.
#pragma once

#include <string>

#include "property-tests/injectors/planted.h"

namespace instar::props {

std::string to_json(const Planted& p);

}  // namespace instar::props
