// mutation_prop.cc: any single-field mutation of the header area gives a clean error or a
// valid parse -- never a crash, UB (run under the asan preset) or malformed output.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "property-tests/injectors/field_mutation.h"
#include "property-tests/injectors/header_fields.h"
#include "property-tests/model/model_gen.h"
#include "property-tests/model/model_json.h"
#include "property-tests/support/info_probe.h"
#include "property-tests/writer/qcow2_writer.h"

namespace instar::props {
namespace {

// The outcome contract of run_op(kInfo): it ran, frames decode, the last is a Done, and Done 0
// comes with an Info and no Error while Done 1 comes with exactly an Error and no Info.
void assert_clean_outcome(const InfoOutcome& out) {
  RC_LOG() << "run_op " << out.run_op_result << " done " << out.done_status << " error "
           << (out.has_error ? out.error.code : 0) << " " << out.problem << "\n";
  RC_ASSERT(out.run_op_result == 0);
  RC_ASSERT(out.frames_ok);
  RC_ASSERT(out.arena_left_used == 0u);
  if (out.done_status == 0) {
    RC_ASSERT(out.has_info);
    RC_ASSERT(!out.has_error);
  } else {
    RC_ASSERT(out.done_status == 1);
    RC_ASSERT(out.has_error);
    RC_ASSERT(out.error.code != instar_guest_ErrorCode_ERROR_NONE);
    // INTERNAL means a guest bug or arena exhaustion, never an answer for a bad image.
    RC_ASSERT(out.error.code != instar_guest_ErrorCode_ERROR_INTERNAL);
  }
}

RC_GTEST_PROP(Qcow2MutationProps, SingleHeaderFieldMutationIsHandled, (const Model& m)) {
  WrittenImage w = write_image(m);
  const std::vector<Field> fields = header_fields(m, w.layout);
  const Field& field = fields[*rc::gen::inRange<size_t>(0, fields.size())];
  const auto strategy = *rc::gen::inRange<uint32_t>(0, kMutationStrategies);
  const auto random = *rc::gen::arbitrary<uint64_t>();
  const Planted p = mutate_field(w.bytes, field, strategy, random);
  RC_LOG() << p.field << ": " << p.old_value << " -> " << p.new_value << "\n";
  RC_TAG(field.name.substr(0, field.name.find('.')));
  assert_clean_outcome(probe_info(w.bytes));
}

RC_GTEST_PROP(Qcow2MutationProps, TruncatedImageIsHandled, (const Model& m)) {
  WrittenImage w = write_image(m);
  const auto keep = *rc::gen::inRange<size_t>(0, w.bytes.size() + 1);
  w.bytes.resize(keep);
  assert_clean_outcome(probe_info(w.bytes));
}

}  // namespace
}  // namespace instar::props
