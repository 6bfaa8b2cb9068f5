// measure_plan.cc: img_measure's -O / -o handling and the option checks of raw_measure,
// qcow2_measure and block_crypto_measure (qemu 7.2).
#include "engine/cli/measure_plan.h"

#include <array>

#include "engine/cli/creation_options.h"
#include "engine/render/error_text.h"

namespace instar::cli {

namespace {

// Drivers of Debian's qemu-img 7.2 without create_opts: "does not support image creation".
constexpr std::array<std::string_view, 17> kNoCreation = {
    "blkdebug", "blklogwrites", "blkverify",         "bochs",
    "cloop",    "compress",     "copy-before-write", "copy-on-read",
    "dmg",      "null-aio",     "null-co",           "preallocate",
    "quorum",   "replication",  "snapshot-access",   "throttle",
    "vvfat"};
// Drivers with create_opts but no bdrv_measure: "does not support size measurement".
constexpr std::array<std::string_view, 12> kNoMeasure = {
    "file", "host_cdrom", "host_device", "nbd",  "nvme", "parallels",
    "qcow", "qed",        "vdi",         "vhdx", "vmdk", "vpc"};
// Drivers in modules Debian ships in qemu-block-extra, absent from a plain qemu-utils install:
// the module loader complains, then the format is unknown.
struct ModuleFormat {
  std::string_view format;
  std::string_view module;
};
constexpr ModuleFormat kModuleFormats[] = {
    {"ftp", "curl"},        {"ftps", "curl"},   {"http", "curl"},  {"https", "curl"},
    {"gluster", "gluster"}, {"iscsi", "iscsi"}, {"iser", "iscsi"}, {"nfs", "nfs"},
    {"rbd", "rbd"},         {"ssh", "ssh"}};

template <size_t N>
bool contains(const std::array<std::string_view, N>& names, const std::string& name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

MeasurePlanResult fail(std::string text) {
  MeasurePlanResult r;
  r.error = std::move(text);
  return r;
}

uint64_t ctz64(uint64_t v) {
  return v == 0 ? 64 : static_cast<uint64_t>(__builtin_ctzll(v));
}

// The LUKS payload needs a secret, and instar creates no --object: qemu's errors for a missing
// or unknown secret are all a command line without --object can reach.
std::string luks_secret_error(const CreationOptions& opts, const std::string& prefix) {
  const CreationOptions::Option* secret = opts.find(prefix + "key-secret");
  if (secret == nullptr) return "Parameter '" + prefix + "key-secret' is required for cipher";
  return "No secret with id '" + secret->text + "'";
}

// plan_measure() without the warnings, which it collects in `warnings` on every path.
MeasurePlanResult plan_target(std::string_view program, const std::string& out_format,
                              const std::string& options, std::optional<uint64_t> size,
                              std::string& warnings) {
  const auto line = [program](const std::string& m) { return render::DiagnosticLine(program, m); };
  for (const ModuleFormat& m : kModuleFormats) {
    if (m.format == out_format) {
      return fail("qemu: module block-block-" + std::string(m.module) +
                  " not found, do you want to install qemu-block-extra package?\n" +
                  line("Unknown file format '" + out_format + "'"));
    }
  }
  std::span<const OptionDesc> table;
  if (out_format == "raw") {
    table = raw_creation_options();
  } else if (out_format == "qcow2") {
    table = qcow2_creation_options();
  } else if (out_format == "luks") {
    table = luks_creation_options();
  } else if (contains(kNoCreation, out_format)) {
    return fail(line("Format driver '" + out_format + "' does not support image creation"));
  } else if (contains(kNoMeasure, out_format)) {
    // Option parsing comes first; these drivers' option lists are not modelled, so instar
    // refuses -o for them rather than guess which errors qemu would print.
    if (!options.empty()) {
      return fail(line("-o with output format '" + out_format + "' is not supported by instar"));
    }
    return fail(line("Block driver '" + out_format + "' does not support size measurement"));
  } else {
    return fail(line("Unknown file format '" + out_format + "'"));
  }

  CreationOptions opts;
  if (!options.empty()) {
    std::optional<OptionsError> e = parse_creation_options(options, table, &opts);
    for (const std::string& w : opts.warnings()) warnings += line(w);
    if (e) {
      return fail(line(e->message) + e->hint +
                  line("Invalid options for file format '" + out_format + "'"));
    }
  }
  if (size) opts.append({"size", std::to_string(*size), false, *size});

  MeasurePlan plan;
  const CreationOptions::Option* size_opt = opts.find("size");
  plan.size_option = size_opt != nullptr ? size_opt->number : 0;
  if (out_format == "raw") {
    plan.target = MeasurePlan::Target::kRaw;
    MeasurePlanResult r;
    r.plan = plan;
    return r;
  }
  if (out_format == "luks") return fail(line(luks_secret_error(opts, "")));

  // qcow2_measure(): extended_l2, cluster size, compat, refcount bits, preallocation, backing
  // file, encryption, then the L1 size for the size option.
  plan.target = MeasurePlan::Target::kQcow2;
  const CreationOptions::Option* o = opts.find("extended_l2");
  plan.qcow2.extended_l2 = o != nullptr && o->flag;
  o = opts.find("cluster_size");
  const uint64_t cluster_size = o != nullptr ? o->number : 65536;
  // validate_cluster_size(): ctz32 of the value, so only bits 0..31 count for the exponent.
  const uint64_t bits = ctz64(cluster_size & 0xffffffffu);
  if (bits < 9 || bits > 21 || (1ull << bits) != cluster_size) {
    return fail(line("Cluster size must be a power of two between 512 and 2048k"));
  }
  if (plan.qcow2.extended_l2 && cluster_size < 512 * 32) {
    return fail(
        line("Extended L2 entries are only supported with cluster sizes of at least 16384 bytes"));
  }
  plan.qcow2.cluster_size = cluster_size;
  o = opts.find("compat");
  if (o != nullptr && o->text != "0.10" && o->text != "1.1") {
    return fail(line("Invalid compatibility level: '" + o->text + "'"));
  }
  plan.qcow2_v3 = o == nullptr || o->text == "1.1";
  o = opts.find("refcount_bits");
  const uint64_t refcount_bits = o != nullptr ? o->number : 16;
  if (refcount_bits > 64 || refcount_bits == 0 || (refcount_bits & (refcount_bits - 1)) != 0) {
    return fail(line("Refcount width must be a power of two and may not exceed 64 bits"));
  }
  if (!plan.qcow2_v3 && refcount_bits != 16) {
    return fail(
        line("Different refcount widths than 16 bits require compatibility level 1.1 or above "
             "(use compat=1.1 or greater)"));
  }
  plan.qcow2.refcount_order = static_cast<uint32_t>(ctz64(refcount_bits));
  o = opts.find("preallocation");
  if (o != nullptr && o->text != "off" && o->text != "metadata" && o->text != "falloc" &&
      o->text != "full") {
    return fail(line("invalid parameter value: " + o->text));
  }
  plan.preallocate_data = o != nullptr && (o->text == "falloc" || o->text == "full");
  plan.has_backing_file = opts.find("backing_file") != nullptr;
  o = opts.find("encrypt.format");
  if (o != nullptr && o->text == "luks") return fail(line(luks_secret_error(opts, "encrypt.")));
  const uint64_t virtual_size = qcow2::round_up_to_cluster(plan.size_option, cluster_size);
  if (!qcow2::measure_l1_fits(plan.qcow2, virtual_size)) {
    return fail(line("The image size is too large (try using a larger cluster size)"));
  }
  MeasurePlanResult r;
  r.plan = plan;
  return r;
}

}  // namespace

MeasurePlanResult plan_measure(std::string_view program, const std::string& out_format,
                               const std::string& options, std::optional<uint64_t> size) {
  std::string warnings;
  MeasurePlanResult r = plan_target(program, out_format, options, size, warnings);
  r.warnings = std::move(warnings);
  return r;
}

MeasureFigures compute_measure(const MeasurePlan& plan, const std::optional<MeasureInput>& input) {
  MeasureFigures f;
  if (plan.target == MeasurePlan::Target::kRaw) {
    // raw_measure(): the input's length, else the size rounded up to a sector (int64 wrap).
    f.required = input ? input->length : (plan.size_option + 511) & ~511ull;
    f.fully_allocated = f.required;
    return f;
  }
  const uint64_t cs = plan.qcow2.cluster_size;
  const uint64_t virtual_size =
      qcow2::round_up_to_cluster(input ? input->length : plan.size_option, cs);
  uint64_t data = 0;
  if (input) data = plan.has_backing_file ? virtual_size : input->data_bytes;
  if (plan.preallocate_data) data = virtual_size;
  f.fully_allocated = qcow2::measure_fully_allocated(plan.qcow2, virtual_size);
  f.required = qcow2::measure_required(plan.qcow2, virtual_size, data);
  if (plan.qcow2_v3 && input && input->supports_bitmaps) f.bitmaps = input->bitmaps_size;
  return f;
}

}  // namespace instar::cli
