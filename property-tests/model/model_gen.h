// model_gen.h: RapidCheck generators for the qcow2 Model (rc::Arbitrary<Model> and its parts).
#pragma once

#include <rapidcheck.h>

#include "property-tests/model/model.h"

namespace instar::props {

// File names from a portable alphabet (the oracle creates them as files).
rc::Gen<std::string> gen_file_name();
rc::Gen<GuestCluster> gen_guest_cluster();
rc::Gen<Snapshot> gen_snapshot();
rc::Gen<UnknownExtension> gen_unknown_extension();
// Every draw is passed through normalize(); vectors and optionals shrink by dropping elements,
// so a failing case shrinks towards fewer clusters, snapshots and extensions.
rc::Gen<Model> gen_model();

}  // namespace instar::props

namespace rc {

template <>
struct Arbitrary<instar::props::Model> {
  static Gen<instar::props::Model> arbitrary() { return instar::props::gen_model(); }
};

}  // namespace rc
