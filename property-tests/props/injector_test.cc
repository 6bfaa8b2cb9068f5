// injector_test.cc: injectors change the image exactly where their record says, and the guest's
// info op survives every planted problem.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "property-tests/injectors/corruptions.h"
#include "property-tests/model/model_gen.h"
#include "property-tests/model/model_json.h"
#include "property-tests/support/info_probe.h"
#include "property-tests/writer/be_bytes.h"

namespace instar::props {
namespace {

RC_GTEST_PROP(Qcow2InjectorProps, PlantedProblemIsRecordedAndHandled, (const Model& m)) {
  WrittenImage w = write_image(m);
  const std::vector<uint8_t> original = w.bytes;
  const CorruptionPlan plan = *gen_corruption_plan();
  const std::optional<Planted> p = plant(plan, m, w);
  RC_PRE(p.has_value());
  RC_TAG(problem_name(p->kind));
  if (p->kind == ProblemKind::kLeak) {
    RC_ASSERT(w.bytes.size() == original.size() + m.cluster_size());
  } else {
    RC_ASSERT(w.bytes.size() == original.size());
  }
  if (p->width != 0) {
    RC_ASSERT(load_be(w.bytes, p->offset, static_cast<int>(p->width)) == p->new_value);
    RC_ASSERT(load_be(original, p->offset, static_cast<int>(p->width)) == p->old_value);
  }
  const InfoOutcome out = probe_info(w.bytes);
  RC_ASSERT(out.run_op_result == 0);
  RC_ASSERT(out.frames_ok);
  // Open-time problems must be reported as errors; the rest are for check, info still works.
  if (p->expect_open_error) RC_ASSERT(out.has_error);
  if (p->kind != ProblemKind::kHeaderField && !p->expect_open_error) RC_ASSERT(out.has_info);
}

}  // namespace
}  // namespace instar::props
