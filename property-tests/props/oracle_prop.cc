// oracle_prop.cc: qemu-img accepts every valid generated image (check clean, info agrees).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "property-tests/injectors/corruptions.h"
#include "property-tests/model/model_gen.h"
#include "property-tests/model/model_json.h"
#include "property-tests/support/qemu_img.h"
#include "property-tests/writer/qcow2_writer.h"

namespace instar::props {
namespace {

constexpr const char* kQemuImg = "/usr/bin/qemu-img";

// qemu-img's JSON is pretty-printed one `"key": value` per line, so fields are matched as text.
bool has_field(const std::string& json, const std::string& key, const std::string& value) {
  return json.find("\"" + key + "\": " + value) != std::string::npos;
}

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}
std::string boolean(bool b) {
  return b ? "true" : "false";
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class ScopedDir {
 public:
  ScopedDir() : path(make_temp_dir()) {}
  ~ScopedDir() { remove_tree(path); }
  ScopedDir(const ScopedDir&) = delete;
  ScopedDir& operator=(const ScopedDir&) = delete;
  const std::string path;
};

RC_GTEST_PROP(Qcow2OracleProps, QemuImgAcceptsGeneratedImages, (const Model& m)) {
  const WrittenImage w = write_image(m);
  ScopedDir dir;
  write_image_files(m, w, dir.path, "image.qcow2");
  // Run inside the directory: qemu resolves the data file name against the working directory
  // and the backing file name against the image's directory; both are this one.
  const std::string prefix = "cd '" + dir.path + "' && " + kQemuImg;
  const CommandResult check = run_command(prefix + " check -f qcow2 image.qcow2");
  RC_LOG() << check.output;
  RC_ASSERT(check.exit_code == 0);
  RC_ASSERT(check.output.find("No errors were found on the image.") != std::string::npos);

  const CommandResult info = run_command(prefix + " info -f qcow2 --output=json image.qcow2");
  RC_LOG() << info.output;
  RC_ASSERT(info.exit_code == 0);
  const std::string& j = info.output;
  RC_ASSERT(has_field(j, "virtual-size", std::to_string(m.virtual_size)));
  RC_ASSERT(has_field(j, "cluster-size", std::to_string(m.cluster_size())));
  RC_ASSERT(has_field(j, "compat", quoted(m.version == 2 ? "0.10" : "1.1")));
  RC_ASSERT(has_field(j, "refcount-bits", std::to_string(m.refcount_bits())));
  RC_ASSERT(has_field(j, "compression-type",
                      quoted(m.compression == Compression::kZstd ? "zstd" : "zlib")));
  if (m.version == 3) {
    RC_ASSERT(has_field(j, "lazy-refcounts", boolean(m.lazy_refcounts)));
    RC_ASSERT(has_field(j, "corrupt", boolean(m.corrupt)));
    RC_ASSERT(has_field(j, "extended-l2", boolean(m.extended_l2)));
  }
  RC_ASSERT(has_field(j, "dirty-flag", boolean(m.dirty)));
  RC_ASSERT((j.find("\"backing-filename\"") != std::string::npos) == m.backing_file.has_value());
  if (m.backing_file) RC_ASSERT(has_field(j, "backing-filename", quoted(*m.backing_file)));
  if (m.backing_format) {
    RC_ASSERT(has_field(j, "backing-filename-format", quoted(*m.backing_format)));
  }
  RC_ASSERT((j.find("\"data-file\"") != std::string::npos) == m.data_file.has_value());
  if (m.data_file) {
    RC_ASSERT(has_field(j, "data-file", quoted(*m.data_file)));
    RC_ASSERT(has_field(j, "data-file-raw", boolean(m.data_file_raw)));
  }
  RC_ASSERT(count(j, "\"vm-clock-nsec\"") == m.snapshots.size());
  for (const Snapshot& s : m.snapshots) {
    RC_ASSERT(has_field(j, "id", quoted(s.id)));
    RC_ASSERT(has_field(j, "name", quoted(s.name)));
    RC_ASSERT(has_field(j, "vm-state-size", std::to_string(s.vm_state_size)));
  }
}

// Reads `"key": N` from qemu-img check's JSON (absent keys are 0, as qemu omits them).
uint64_t json_number(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\": ";
  const size_t at = json.find(needle);
  return at == std::string::npos ? 0 : std::stoull(json.substr(at + needle.size()));
}

// The injectors' expectations are what qemu-img check reports for the planted problem: the
// later guest-check properties compare against these records.
RC_GTEST_PROP(Qcow2OracleProps, QemuImgCheckReportsPlantedProblem, (const Model& m)) {
  WrittenImage w = write_image(m);
  const CorruptionPlan plan = *gen_corruption_plan();
  RC_PRE(plan.kind != ProblemKind::kHeaderField);  // no expectation recorded for those
  const std::optional<Planted> p = plant(plan, m, w);
  RC_PRE(p.has_value());
  RC_TAG(problem_name(p->kind));
  ScopedDir dir;
  write_image_files(m, w, dir.path, "image.qcow2");
  const CommandResult check = run_command("cd '" + dir.path + "' && " + kQemuImg +
                                          " check -f qcow2 --output=json image.qcow2");
  RC_LOG() << check.output;
  if (p->expect_open_error) {
    RC_ASSERT(check.exit_code == 1);
    RC_ASSERT(check.output.find("Could not open") != std::string::npos);
    return;
  }
  RC_ASSERT(json_number(check.output, "corruptions") == p->expect_corruptions);
  RC_ASSERT(json_number(check.output, "leaks") == p->expect_leaks);
}

}  // namespace
}  // namespace instar::props
