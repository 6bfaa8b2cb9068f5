// model_json.h: Model -> JSON (imagegen sidecars) and RapidCheck's counterexample printer.
#pragma once

#include <ostream>
#include <string>

#include "property-tests/model/model.h"

namespace instar::props {

std::string to_json(const Model& m);

// Found by ADL: RapidCheck prints counterexamples through showValue.
void showValue(const Model& m, std::ostream& os);

}  // namespace instar::props
