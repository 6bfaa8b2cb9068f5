// field_mutation.cc: the value strategies header fuzzing finds bugs with (0, ~0, +-1, bit flips,
// signed limits, big shifts, random).
#include "property-tests/injectors/field_mutation.h"

#include "property-tests/writer/be_bytes.h"

namespace instar::props {

uint64_t new_field_value(uint64_t old, uint32_t width, uint32_t strategy, uint64_t random) {
  const uint64_t mask = width >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * width)) - 1;
  uint64_t value = 0;
  switch (strategy % kMutationStrategies) {
    case 0:
      value = 0;
      break;
    case 1:
      value = ~uint64_t{0};
      break;
    case 2:
      value = old + 1;
      break;
    case 3:
      value = old - 1;
      break;
    case 4:
      value = old ^ (uint64_t{1} << (random % (8 * width)));
      break;
    case 5:
      value = random;
      break;
    case 6:
      value = mask >> 1;
      break;  // largest signed value of the width
    case 7:
      value = (mask >> 1) + 1;
      break;  // smallest negative
    case 8:
      value = old + (uint64_t{1} << (random % 24));
      break;  // a little beyond
    case 9:
      value = old << (1 + random % 8);
      break;
  }
  return value & mask;
}

Planted mutate_field(std::vector<uint8_t>& image, const Field& field, uint32_t strategy,
                     uint64_t random) {
  Planted p;
  p.kind = ProblemKind::kHeaderField;
  p.field = field.name;
  p.offset = field.offset;
  p.width = field.width;
  p.old_value = load_be(image, field.offset, static_cast<int>(field.width));
  p.new_value = new_field_value(p.old_value, field.width, strategy, random);
  store_be(image, field.offset, p.new_value, static_cast<int>(field.width));
  return p;
}

}  // namespace instar::props
