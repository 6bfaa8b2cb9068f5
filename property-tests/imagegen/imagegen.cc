// imagegen.cc: RapidCheck generators driven by an explicit rc::Random, outside any property.
#include "property-tests/imagegen/imagegen.h"

#include <stdio.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include <rapidcheck.h>

#include "property-tests/injectors/corruptions.h"
#include "property-tests/injectors/planted_json.h"
#include "property-tests/model/model_gen.h"
#include "property-tests/model/model_json.h"
#include "property-tests/support/json.h"
#include "property-tests/support/qemu_img.h"
#include "property-tests/writer/qcow2_writer.h"

namespace instar::props {

namespace {

constexpr int kProblemKinds = 10;

const char* profile_name(Profile p) {
  switch (p) {
    case Profile::kValid:
      return "valid";
    case Profile::kCorrupt:
      return "corrupt";
    case Profile::kMixed:
      return "mixed";
  }
  return "?";
}

// Tries the drawn plan, then the following kinds, until one applies (header-field mutation
// always does).
std::optional<Planted> plant_some(CorruptionPlan plan, const Model& m, WrittenImage& w) {
  for (int k = 0; k < kProblemKinds; ++k) {
    if (auto p = plant(plan, m, w)) return p;
    plan.kind = static_cast<ProblemKind>((static_cast<int>(plan.kind) + 1) % kProblemKinds);
  }
  return std::nullopt;
}

}  // namespace

void generate_images(const ImagegenOptions& options) {
  rc::Random master(options.seed);
  const rc::Gen<Model> models = gen_model();
  const rc::Gen<CorruptionPlan> plans = gen_corruption_plan();
  for (uint64_t i = 0; i < options.first + options.count; ++i) {
    // One independent stream per image, so image i does not depend on what image i-1 drew.
    rc::Random image_random = master.split();
    if (i < options.first) continue;
    const rc::Random model_random = image_random.split();
    const rc::Random plan_random = image_random.split();
    const int size = static_cast<int>(i % 101);  // small cases first, as RapidCheck does
    const Model m = models(model_random, size).value();
    const CorruptionPlan plan = plans(plan_random, size).value();
    const bool corrupt = options.profile == Profile::kCorrupt ||
                         (options.profile == Profile::kMixed && (plan.pick & 1) != 0);

    WrittenImage w = write_image(m);
    std::vector<std::string> planted;
    if (corrupt) {
      if (auto p = plant_some(plan, m, w)) planted.push_back(to_json(*p));
    }

    char name[32];
    snprintf(name, sizeof name, "%05llu", static_cast<unsigned long long>(i));
    const std::string dir = options.out_dir + "/" + name;
    std::filesystem::create_directories(dir);
    write_image_files(m, w, dir, "image.qcow2");
    std::ofstream sidecar(dir + "/image.json", std::ios::trunc);
    sidecar << JsonObject()
                   .num("seed", options.seed)
                   .num("index", i)
                   .str("profile", profile_name(options.profile))
                   .str("image", "image.qcow2")
                   .raw("model", to_json(m))
                   .raw("planted", json_array(planted))
                   .dump()
            << "\n";
  }
}

}  // namespace instar::props
