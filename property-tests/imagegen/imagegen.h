// imagegen.h: writes generated images with JSON sidecars, deterministically per seed.
#pragma once

#include <stdint.h>

#include <string>

namespace instar::props {

enum class Profile { kValid, kCorrupt, kMixed };

struct ImagegenOptions {
  uint64_t seed = 0;
  uint64_t count = 1;
  // Index of the first image written. The streams of the skipped images are still split off, so
  // image i is the same whatever `first` is: the differential oracle takes one image per seed.
  uint64_t first = 0;
  std::string out_dir;
  Profile profile = Profile::kValid;
};

// Images first .. first+count-1 are written; image i goes to out_dir/NNNNN/ as image.qcow2 plus
// companions (backing and data files named by the model) and image.json {seed, index, profile,
// model, planted[]}. The same options give byte-identical output.
void generate_images(const ImagegenOptions& options);

}  // namespace instar::props
