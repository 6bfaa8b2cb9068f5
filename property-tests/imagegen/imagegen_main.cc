// imagegen_main.cc: instar-imagegen --seed S --count N --out DIR [--profile P] [--first I]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <exception>
#include <string>

#include "property-tests/imagegen/imagegen.h"

namespace {

int usage() {
  fprintf(stderr,
          "usage: instar-imagegen --seed S --count N --out DIR [--profile valid|corrupt|mixed]\n"
          "                       [--first I]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  instar::props::ImagegenOptions options;
  bool have_seed = false, have_out = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage();
    const char* value = argv[++i];
    if (arg == "--seed") {
      options.seed = strtoull(value, nullptr, 0);
      have_seed = true;
    } else if (arg == "--count") {
      options.count = strtoull(value, nullptr, 0);
    } else if (arg == "--first") {
      options.first = strtoull(value, nullptr, 0);
    } else if (arg == "--out") {
      options.out_dir = value;
      have_out = true;
    } else if (arg == "--profile") {
      if (strcmp(value, "valid") == 0) {
        options.profile = instar::props::Profile::kValid;
      } else if (strcmp(value, "corrupt") == 0) {
        options.profile = instar::props::Profile::kCorrupt;
      } else if (strcmp(value, "mixed") == 0) {
        options.profile = instar::props::Profile::kMixed;
      } else {
        return usage();
      }
    } else {
      return usage();
    }
  }
  if (!have_seed || !have_out) return usage();
  try {
    instar::props::generate_images(options);
  } catch (const std::exception& e) {
    fprintf(stderr, "instar-imagegen: %s\n", e.what());
    return 1;
  }
  return 0;
}
