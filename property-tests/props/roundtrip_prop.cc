// roundtrip_prop.cc: parse(write(m)) agrees with m, through the guest's info op.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "property-tests/model/model_gen.h"
#include "property-tests/model/model_json.h"
#include "property-tests/support/info_probe.h"
#include "property-tests/writer/qcow2_writer.h"

namespace instar::props {
namespace {

uint64_t expected_incompatible(const Model& m) {
  return (m.dirty ? 1u : 0u) | (m.corrupt ? 2u : 0u) | (m.data_file ? 4u : 0u) |
         (m.compression == Compression::kZstd ? 8u : 0u) | (m.extended_l2 ? 16u : 0u);
}

RC_GTEST_PROP(Qcow2ModelProps, InfoAgreesWithModel, (const Model& m)) {
  const WrittenImage w = write_image(m);
  const InfoOutcome out = probe_info(w.bytes);
  RC_ASSERT(out.run_op_result == 0);
  RC_ASSERT(out.frames_ok);
  RC_ASSERT(out.arena_left_used == 0u);
  if (out.has_error) {
    RC_LOG() << "guest error " << out.error.code << " args " << out.error.args_count << "\n";
  }
  RC_ASSERT(!out.has_error);
  RC_ASSERT(out.done_status == 0);
  RC_ASSERT(out.has_info);

  const instar_guest_ImageInfo& info = out.info;
  RC_ASSERT(info.format == instar_guest_Format_FORMAT_QCOW2);
  RC_ASSERT(info.virtual_size == m.virtual_size);
  RC_ASSERT(info.cluster_size == m.cluster_size());
  RC_ASSERT(info.has_qcow2);
  const instar_guest_Qcow2Info& q = info.qcow2;
  RC_ASSERT(q.version == m.version);
  RC_ASSERT(q.cluster_bits == m.cluster_bits);
  RC_ASSERT(q.refcount_order == m.refcount_order);
  RC_ASSERT(q.compression_type == static_cast<uint32_t>(m.compression));
  RC_ASSERT(q.incompatible_features == expected_incompatible(m));
  RC_ASSERT(q.compatible_features == (m.lazy_refcounts ? 1u : 0u));
  RC_ASSERT(q.autoclear_features == (m.data_file_raw ? 2u : 0u));
  RC_ASSERT(q.crypt_method == 0u);
  RC_ASSERT(q.header_length == (m.version == 2 ? 72u : 112u));
  RC_ASSERT(q.l1_size == m.l1_size());
  RC_ASSERT(q.size == m.virtual_size);
  RC_ASSERT(q.has_backing_file == m.backing_file.has_value());
  if (m.backing_file) RC_ASSERT(pb_string(q.backing_file) == *m.backing_file);
  RC_ASSERT(q.has_backing_format == m.backing_format.has_value());
  if (m.backing_format) RC_ASSERT(pb_string(q.backing_format) == *m.backing_format);
  RC_ASSERT(q.has_data_file == m.data_file.has_value());
  if (m.data_file) RC_ASSERT(pb_string(q.data_file) == *m.data_file);
  RC_ASSERT(q.nb_bitmaps == 0u);
  RC_ASSERT(!q.bitmaps_extension_ignored);

  RC_ASSERT(q.nb_snapshots == m.snapshots.size());
  RC_ASSERT(out.snapshots.size() == m.snapshots.size());
  for (size_t i = 0; i < m.snapshots.size(); ++i) {
    const Snapshot& want = m.snapshots[i];
    const instar_guest_Snapshot& got = out.snapshots[i];
    RC_ASSERT(pb_string(got.id) == want.id);
    RC_ASSERT(pb_string(got.name) == want.name);
    RC_ASSERT(got.date_sec == want.date_sec);
    RC_ASSERT(got.date_nsec == want.date_nsec);
    RC_ASSERT(got.vm_clock_nsec == want.vm_clock_nsec);
    RC_ASSERT(got.vm_state_size == want.vm_state_size);
    RC_ASSERT(got.has_icount == want.icount.has_value());
    if (want.icount) RC_ASSERT(got.icount == *want.icount);
  }
  RC_CLASSIFY(m.version == 2, "v2");
  RC_CLASSIFY(!m.snapshots.empty(), "snapshots");
  RC_CLASSIFY(m.data_file.has_value(), "data file");
  RC_CLASSIFY(m.extended_l2, "extended L2");
}

}  // namespace
}  // namespace instar::props
