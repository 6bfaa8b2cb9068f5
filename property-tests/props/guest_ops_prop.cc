// guest_ops_prop.cc: the guest's check finds exactly what was planted, and data read through the
// guest's compare equals the model's contents.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "property-tests/injectors/corruptions.h"
#include "property-tests/model/model_gen.h"
#include "property-tests/model/model_json.h"
#include "property-tests/support/info_probe.h"
#include "property-tests/writer/data_pattern.h"
#include "property-tests/writer/qcow2_writer.h"

namespace instar::props {
namespace {

// What a reader of the image sees, byte for byte, when nothing lies behind it (no backing file):
// data clusters hold their pattern (with extended L2 only in allocated subclusters; zero and
// unallocated subclusters read as zeros), compressed clusters their pattern, everything else zeros.
std::vector<uint8_t> expected_guest_bytes(const Model& m) {
  std::vector<uint8_t> out(m.virtual_size, 0);
  const uint64_t cs = m.cluster_size();
  for (const GuestCluster& c : m.clusters) {
    if (c.kind != ClusterKind::kData && c.kind != ClusterKind::kCompressed) continue;
    const std::vector<uint8_t> data = pattern_bytes(c.pattern, c.index, cs);
    const uint64_t start = c.index * cs;
    const uint64_t end = std::min(start + cs, m.virtual_size);
    for (uint64_t at = start; at < end; ++at) {
      const uint64_t sub = (at - start) / (cs / 32);
      const bool allocated =
          c.kind == ClusterKind::kCompressed || !m.extended_l2 || ((c.alloc_mask >> sub) & 1) != 0;
      if (allocated) out[at] = data[at - start];
    }
  }
  return out;
}

RC_GTEST_PROP(Qcow2GuestOpProps, CheckOfAValidImageIsClean, (const Model& m)) {
  const OpOutcome out = probe_check(write_image(m).bytes);
  RC_ASSERT(out.run_op_result == 0);
  RC_ASSERT(out.frames_ok);
  RC_ASSERT(!out.has_error);
  RC_ASSERT(out.has_check_result);
  RC_ASSERT(out.check_result.corruptions == 0u);
  RC_ASSERT(out.check_result.leaks == 0u);
  RC_ASSERT(out.check_result.check_errors == 0u);
  RC_ASSERT(out.arena_left_used == 0u);
}

// The Planted records hold what qemu-img check reports for each problem (kept honest against
// qemu-img 7.2 by QemuImgCheckReportsPlantedProblem); the guest's check must report the same.
RC_GTEST_PROP(Qcow2GuestOpProps, CheckFindsExactlyThePlantedProblem, (const Model& m)) {
  WrittenImage w = write_image(m);
  const CorruptionPlan plan = *gen_corruption_plan();
  RC_PRE(plan.kind != ProblemKind::kHeaderField);  // no expectation recorded for those
  const std::optional<Planted> p = plant(plan, m, w);
  RC_PRE(p.has_value());
  RC_TAG(problem_name(p->kind));
  const OpOutcome out = probe_check(w.bytes);
  RC_ASSERT(out.run_op_result == 0);
  RC_ASSERT(out.frames_ok);
  if (p->expect_open_error) {
    RC_ASSERT(out.has_error);
    return;
  }
  RC_ASSERT(out.has_check_result);
  RC_LOG() << "corruptions " << out.check_result.corruptions << " leaks " << out.check_result.leaks
           << "\n";
  RC_ASSERT(out.check_result.corruptions == p->expect_corruptions);
  RC_ASSERT(out.check_result.leaks == p->expect_leaks);
}

RC_GTEST_PROP(Qcow2GuestOpProps, GuestDataEqualsTheModel, (const Model& generated)) {
  // The expectation is a flat buffer of the virtual size: the generator's common sizes only.
  RC_PRE(generated.virtual_size <= (64u << 20));
  // Without chain tables the guest refuses backing files and external data files (those paths
  // are compared with qemu-img by the oracle's chain suites): the same image without them.
  Model m = generated;
  m.backing_file.reset();
  m.backing_format.reset();
  m.data_file.reset();
  m.data_file_raw = false;
  const std::vector<uint8_t> image = write_image(m).bytes;
  std::vector<uint8_t> expected = expected_guest_bytes(m);
  const OpOutcome same = probe_compare_with_raw(image, expected);
  RC_ASSERT(same.frames_ok);
  RC_ASSERT(!same.has_error);
  RC_ASSERT(same.has_compare_result);
  RC_ASSERT(same.compare_result.kind == instar_guest_CompareKind_COMPARE_IDENTICAL);
  RC_ASSERT(!same.compare_result.size_mismatch);
  // The comparison must be able to fail: flip one byte of the expectation and the guest must
  // report a mismatch at that byte's sector (qemu-img compare reports the first differing sector).
  RC_PRE(!expected.empty());
  const uint64_t at = *rc::gen::inRange<uint64_t>(0, expected.size());
  expected[at] ^= 0x5a;
  const OpOutcome differ = probe_compare_with_raw(image, expected);
  RC_ASSERT(differ.has_compare_result);
  RC_ASSERT(differ.compare_result.kind == instar_guest_CompareKind_COMPARE_CONTENT_MISMATCH);
  RC_ASSERT(differ.compare_result.offset == at / 512 * 512);
}

}  // namespace
}  // namespace instar::props
