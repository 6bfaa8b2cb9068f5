// planted_json.cc: one JSON object per planted problem.
#include "property-tests/injectors/planted_json.h"

#include "property-tests/support/json.h"

namespace instar::props {

std::string to_json(const Planted& p) {
  return JsonObject()
      .str("kind", problem_name(p.kind))
      .str("field", p.field)
      .num("offset", p.offset)
      .num("width", p.width)
      .num("old_value", p.old_value)
      .num("new_value", p.new_value)
      .num("expect_leaks", p.expect_leaks)
      .num("expect_corruptions", p.expect_corruptions)
      .boolean("expect_open_error", p.expect_open_error)
      .dump();
}

}  // namespace instar::props
