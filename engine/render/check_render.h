// check_render.h: qemu-img 7.2 `check` results, human (dump_human_image_check) and JSON.
#pragma once

#include <cstdint>
#include <string>

namespace instar::render {

// qemu's QAPI ImageCheck as img_check fills it (the *-fixed members only after check -r repaired
// something). Optional members are present when non-zero, as collect_image_check() decides.
struct ImageCheck {
  std::string filename;
  std::string format;
  int64_t check_errors = 0;
  int64_t image_end_offset = 0;
  int64_t corruptions = 0;
  int64_t leaks = 0;
  int64_t corruptions_fixed = 0;
  int64_t leaks_fixed = 0;
  int64_t total_clusters = 0;
  int64_t allocated_clusters = 0;
  int64_t fragmented_clusters = 0;
  int64_t compressed_clusters = 0;
};

// The human summary: "No errors..." or the problem blocks (each after an empty line), the
// allocation line when total and allocated are non-zero (percentages "%0.2f"), and the image end
// offset when non-zero. Every line newline-terminated.
std::string RenderCheckHuman(const ImageCheck& check);

// check -r's note between the two checks (img_check, human output only): "The following
// inconsistencies were found and repaired:", the two counts, "Double checking the fixed image
// now...".
std::string RenderRepairNote(int64_t leaks_fixed, int64_t corruptions_fixed);

// The pretty JSON object with the final newline; keys in qemu's QDict iteration order.
std::string RenderCheckJson(const ImageCheck& check);

}  // namespace instar::render
