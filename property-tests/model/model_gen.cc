// model_gen.cc: how Models are drawn: realistic values weighted over edge cases.
#include "property-tests/model/model_gen.h"

#include <string>

namespace instar::props {

namespace {

template <typename T>
rc::Gen<std::optional<T>> optional_of(rc::Gen<T> gen) {
  return rc::gen::map(rc::gen::maybe(std::move(gen)), [](rc::Maybe<T> value) {
    return value ? std::optional<T>(std::move(*value)) : std::optional<T>();
  });
}

rc::Gen<std::string> gen_short_string(double scale) {
  static const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_-";
  return rc::gen::scale(scale, rc::gen::container<std::string>(rc::gen::elementOf(alphabet)));
}

}  // namespace

rc::Gen<std::string> gen_file_name() {
  return rc::gen::map(gen_short_string(0.4), [](std::string s) { return "f" + s; });
}

rc::Gen<GuestCluster> gen_guest_cluster() {
  using rc::gen::set;
  return rc::gen::build<GuestCluster>(
      // Containers scale their elements' size down; resize keeps far clusters (other L2
      // tables, the end of the disk) as likely as near ones.
      set(&GuestCluster::index,
          rc::gen::weightedOneOf<uint64_t>(
              {{1, rc::gen::inRange<uint64_t>(0, 64)},
               {2, rc::gen::resize(rc::kNominalSize, rc::gen::arbitrary<uint64_t>())}})),
      set(&GuestCluster::kind,
          rc::gen::weightedElement<ClusterKind>({{4, ClusterKind::kData},
                                                 {1, ClusterKind::kZero},
                                                 {1, ClusterKind::kZeroAllocated},
                                                 {2, ClusterKind::kCompressed}})),
      set(&GuestCluster::pattern,
          rc::gen::build<DataPattern>(
              set(&DataPattern::kind,
                  rc::gen::element(PatternKind::kFill, PatternKind::kCounter, PatternKind::kNoise)),
              set(&DataPattern::seed, rc::gen::arbitrary<uint8_t>()))),
      set(&GuestCluster::alloc_mask,
          rc::gen::weightedOneOf<uint32_t>(
              {{3, rc::gen::just<uint32_t>(0xffffffff)}, {1, rc::gen::arbitrary<uint32_t>()}})),
      set(&GuestCluster::zero_mask, rc::gen::arbitrary<uint32_t>()));
}

rc::Gen<Snapshot> gen_snapshot() {
  using rc::gen::set;
  return rc::gen::build<Snapshot>(
      set(&Snapshot::id,
          rc::gen::map(rc::gen::inRange(1, 1000), [](int n) { return std::to_string(n); })),
      set(&Snapshot::name, gen_short_string(0.3)),
      set(&Snapshot::date_sec, rc::gen::arbitrary<uint32_t>()),
      set(&Snapshot::date_nsec, rc::gen::arbitrary<uint32_t>()),
      set(&Snapshot::vm_clock_nsec, rc::gen::arbitrary<uint64_t>()),
      set(&Snapshot::vm_state_size,
          rc::gen::weightedOneOf<uint64_t>({{2, rc::gen::just<uint64_t>(0)},
                                            {1, rc::gen::inRange<uint64_t>(0, 1u << 30)},
                                            {1, rc::gen::arbitrary<uint64_t>()}})),
      set(&Snapshot::extra_data_size, rc::gen::inRange<uint32_t>(0, 3)),
      set(&Snapshot::icount, optional_of(rc::gen::arbitrary<uint64_t>())),
      set(&Snapshot::shared_l2_mask,
          rc::gen::weightedOneOf<uint64_t>(
              {{2, rc::gen::just(~uint64_t{0})}, {1, rc::gen::arbitrary<uint64_t>()}})));
}

rc::Gen<UnknownExtension> gen_unknown_extension() {
  using rc::gen::set;
  return rc::gen::build<UnknownExtension>(
      set(&UnknownExtension::magic, rc::gen::arbitrary<uint32_t>()),
      set(&UnknownExtension::data,
          rc::gen::scale(0.3, rc::gen::arbitrary<std::vector<uint8_t>>())));
}

rc::Gen<Model> gen_model() {
  using rc::gen::set;
  const auto model = rc::gen::build<Model>(
      set(&Model::version, rc::gen::weightedElement<uint32_t>({{1, 2}, {3, 3}})),
      set(&Model::cluster_bits,
          rc::gen::weightedOneOf<uint32_t>(
              {{6, rc::gen::inRange<uint32_t>(9, 17)}, {1, rc::gen::inRange<uint32_t>(17, 22)}})),
      set(&Model::refcount_order,
          rc::gen::weightedOneOf<uint32_t>(
              {{2, rc::gen::just<uint32_t>(4)}, {3, rc::gen::inRange<uint32_t>(0, 7)}})),
      set(&Model::virtual_size,
          rc::gen::weightedOneOf<uint64_t>({{4, rc::gen::inRange<uint64_t>(0, 64u << 20)},
                                            {1, rc::gen::arbitrary<uint64_t>()}})),
      set(&Model::lazy_refcounts, rc::gen::arbitrary<bool>()),
      set(&Model::extended_l2, rc::gen::arbitrary<bool>()),
      set(&Model::compression, rc::gen::element(Compression::kZlib, Compression::kZstd)),
      set(&Model::dirty, rc::gen::weightedElement<bool>({{4, false}, {1, true}})),
      set(&Model::corrupt, rc::gen::weightedElement<bool>({{4, false}, {1, true}})),
      set(&Model::feature_table, rc::gen::weightedElement<bool>({{1, false}, {3, true}})),
      set(&Model::backing_file, optional_of(gen_file_name())),
      set(&Model::backing_format, optional_of(rc::gen::element<std::string>("raw", "qcow2"))),
      set(&Model::data_file, rc::gen::weightedOneOf<std::optional<std::string>>(
                                 {{3, rc::gen::just(std::optional<std::string>())},
                                  {1, optional_of(gen_file_name())}})),
      set(&Model::data_file_raw, rc::gen::arbitrary<bool>()),
      set(&Model::unknown_extensions,
          rc::gen::scale(
              0.03, rc::gen::container<std::vector<UnknownExtension>>(gen_unknown_extension()))),
      set(&Model::snapshots,
          rc::gen::scale(0.05, rc::gen::container<std::vector<Snapshot>>(gen_snapshot()))),
      set(&Model::clusters, rc::gen::scale(0.25, rc::gen::container<std::vector<GuestCluster>>(
                                                     gen_guest_cluster()))));
  return rc::gen::map(model, [](Model m) { return normalize(std::move(m)); });
}

}  // namespace instar::props
