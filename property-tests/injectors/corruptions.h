// corruptions.h: planting one metadata problem (leak, bad refcount, bad L2 entry, ...) in a
// written image, recording what qemu-img check should then report.
#pragma once

#include <stdint.h>

#include <optional>
#include <ostream>

#include <rapidcheck.h>

#include "property-tests/injectors/planted.h"
#include "property-tests/model/model.h"
#include "property-tests/writer/qcow2_writer.h"

namespace instar::props {

struct CorruptionPlan {
  ProblemKind kind = ProblemKind::kLeak;
  uint64_t pick = 0;    // selects the cluster, entry or field
  uint64_t amount = 0;  // N of off-by-N, the mutation strategy and random value, ...
};

rc::Gen<CorruptionPlan> gen_corruption_plan();
void showValue(const CorruptionPlan& plan, std::ostream& os);

// Applies `plan` to `image` (written from `m`); nullopt when this image has nothing the plan
// can apply to (e.g. no allocated cluster to misalign).
std::optional<Planted> plant(const CorruptionPlan& plan, const Model& m, WrittenImage& image);

}  // namespace instar::props
