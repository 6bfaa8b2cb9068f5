// convert_target.cc: -O qcow2's creation options and output bound (see convert_target.h).
#include "engine/cli/convert_target.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "engine/cli/creation_options.h"
#include "engine/cli/raw_truncate.h"
#include "engine/render/error_text.h"
#include "guest/abi/abi.h"
#include "guest/formats/qcow2/measure_size.h"

namespace instar::cli {

namespace {

// The options instar passes to the guest's create(); "size" is img_convert's own (the inputs'
// total replaces it). Any other qcow2 or file option is refused.
constexpr const char* kImplemented[] = {
    "size",        "compat",           "cluster_size", "refcount_bits", "lazy_refcounts",
    "extended_l2", "compression_type", "backing_file", "backing_fmt",   "preallocation"};

// qapi/block-core.json's BlockdevDriver in qemu 7.2 as Debian builds it (without the libblkio
// drivers nvme-io_uring and virtio-blk-*).
constexpr const char* kBlockdevDrivers[] = {
    "blkdebug",     "blklogwrites", "blkreplay",   "blkverify",
    "bochs",        "cloop",        "compress",    "copy-before-write",
    "copy-on-read", "dmg",          "file",        "snapshot-access",
    "ftp",          "ftps",         "gluster",     "host_cdrom",
    "host_device",  "http",         "https",       "iscsi",
    "luks",         "nbd",          "nfs",         "null-aio",
    "null-co",      "nvme",         "parallels",   "preallocate",
    "qcow",         "qcow2",        "qed",         "quorum",
    "raw",          "rbd",          "replication", "ssh",
    "throttle",     "vdi",          "vhdx",        "vmdk",
    "vpc",          "vvfat"};

bool implemented(const std::string& name) {
  for (const char* known : kImplemented) {
    if (name == known) return true;
  }
  return false;
}

// A number too large for the 32-bit OpConfig field stays invalid there (0 for a cluster size,
// all ones for a refcount width), as qemu rejects it.
uint32_t fit32(uint64_t v, uint32_t invalid) {
  return v > UINT32_MAX ? invalid : static_cast<uint32_t>(v);
}

}  // namespace

bool is_blockdev_driver(const std::string& name) {
  for (const char* driver : kBlockdevDrivers) {
    if (name == driver) return true;
  }
  return false;
}

std::optional<std::string> qcow2_target_values(const CreationOptions& opts, Qcow2Target* out,
                                               const std::optional<std::string>& backing_fmt) {
  Qcow2Target& t = *out;
  t = Qcow2Target();
  if (const CreationOptions::Option* o = opts.find("backing_file")) t.backing_file = o->text;
  if (const CreationOptions::Option* o = opts.find("backing_fmt")) t.backing_fmt = o->text;
  if (backing_fmt) t.backing_fmt = backing_fmt;
  // The QAPI visit of BlockdevCreateOptionsQcow2, in its member order: version, backing-fmt,
  // preallocation, compression-type ("0.10" and "1.1" are mapped to v2 and v3 first).
  if (const CreationOptions::Option* o = opts.find("compat")) {
    if (o->text == "0.10" || o->text == "v2") {
      t.create_flags |= abi::kQcow2CompatV2;
    } else if (o->text != "1.1" && o->text != "v3") {
      return "Parameter 'version' does not accept value '" + o->text + "'";
    }
  }
  if (t.backing_fmt && !is_blockdev_driver(*t.backing_fmt)) {
    return "Parameter 'backing-fmt' does not accept value '" + *t.backing_fmt + "'";
  }
  if (const CreationOptions::Option* o = opts.find("preallocation")) {
    const std::optional<Preallocation> mode = parse_preallocation(o->text);
    if (!mode) return "Parameter 'preallocation' does not accept value '" + o->text + "'";
    t.preallocation = *mode;
  }
  if (const CreationOptions::Option* o = opts.find("compression_type")) {
    if (o->text == "zstd") {
      t.compression_type = 1;
    } else if (o->text != "zlib") {
      return "Parameter 'compression-type' does not accept value '" + o->text + "'";
    }
  }
  if (const CreationOptions::Option* o = opts.find("cluster_size")) {
    t.cluster_size = fit32(o->number, 0);
  }
  if (const CreationOptions::Option* o = opts.find("refcount_bits")) {
    t.refcount_bits = fit32(o->number, UINT32_MAX);
  }
  if (const CreationOptions::Option* o = opts.find("lazy_refcounts"); o != nullptr && o->flag) {
    t.create_flags |= abi::kQcow2LazyRefcounts;
  }
  if (const CreationOptions::Option* o = opts.find("extended_l2"); o != nullptr && o->flag) {
    t.create_flags |= abi::kQcow2ExtendedL2;
  }
  if (const CreationOptions::Option* o = opts.find("data_file_raw"); o != nullptr && o->flag) {
    t.create_flags |= abi::kQcow2DataFileRaw;
  }
  return std::nullopt;
}

void put_backing_names(const std::optional<std::string>& name,
                       const std::optional<std::string>& format, abi::OpConfig* op) {
  if (format) {
    op->convert_backing_flags |= abi::kConvertBackingFmt;
    op->convert_backing_fmt_length =
        static_cast<uint32_t>(std::min(format->size(), sizeof op->convert_backing_fmt));
    std::memcpy(op->convert_backing_fmt, format->data(), op->convert_backing_fmt_length);
  }
  if (name) {
    op->convert_backing_flags |= abi::kConvertBackingName;
    op->convert_backing_name_length =
        static_cast<uint32_t>(std::min(name->size(), sizeof op->convert_backing_name));
    std::memcpy(op->convert_backing_name, name->data(), op->convert_backing_name_length);
  }
}

Qcow2TargetResult plan_qcow2_target(std::string_view program, const std::string& output,
                                    const std::string& options,
                                    const std::optional<std::string>& backing_fmt) {
  Qcow2TargetResult r;
  const auto line = [program](const std::string& m) { return render::DiagnosticLine(program, m); };
  if (has_help_option(options)) {
    r.error = line("convert -o help is not supported by instar yet");
    return r;
  }
  CreationOptions opts;
  if (!options.empty()) {
    if (std::optional<OptionsError> e =
            parse_creation_options(options, qcow2_creation_options(), &opts)) {
      r.error = line(e->message) + e->hint;
      return r;
    }
  }
  for (const OptionDesc& d : qcow2_creation_options()) {
    if (opts.find(d.name) != nullptr && !implemented(d.name)) {
      r.error = line("convert -o " + std::string(d.name) + " is not supported by instar yet");
      return r;
    }
  }
  // qcow2_co_create_opts(): errors name the output and the driver.
  const std::string where = output + ": error while converting qcow2: ";
  Qcow2Target t;
  if (std::optional<std::string> e = qcow2_target_values(opts, &t, backing_fmt)) {
    // qemu reports it only when it creates, after its other checks.
    r.error = line(output + ": error while converting qcow2: " + *e);
    r.at_create = true;
    r.target = t;
    return r;
  }
  r.target = t;
  return r;
}

bool preallocate_qcow2_data_area(int fd, const Qcow2Target& target, uint64_t capacity,
                                 uint64_t start, uint64_t end, std::string* error) {
  if (start == 0 && end == 0) return true;
  if (!allocates_data(target.preallocation) || start > end || end > capacity) {
    *error = "sandbox: the guest asked to preallocate a range outside its output";
    return false;
  }
  std::string why;
  if (preallocate_range(fd, start, end, target.preallocation, &why)) return true;
  *error = "Could not resize image: Failed to resize underlying file: " + why;
  return false;
}

uint64_t qcow2_output_bound(const Qcow2Target& target, uint64_t virtual_size, bool compressed) {
  // Invalid options fail in the guest's create() before any write; the bound only has to be
  // well defined for them.
  qcow2::MeasureTarget m;
  const uint64_t cs = target.cluster_size;
  m.cluster_size = cs >= 512 && cs <= (2u << 20) && (cs & (cs - 1)) == 0 ? cs : 65536;
  uint32_t order = 0;
  while (order < 6 && (1u << order) < target.refcount_bits) ++order;
  m.refcount_order = order;
  m.extended_l2 = (target.create_flags & abi::kQcow2ExtendedL2) != 0;
  const uint64_t rounded = qcow2::round_up_to_cluster(virtual_size, m.cluster_size);
  const uint64_t full = qcow2::measure_fully_allocated(m, rounded);
  // A device's capacity is at most INT64_MAX (the largest file); qemu's arithmetic may wrap.
  constexpr uint64_t kMax = INT64_MAX;
  if (rounded < virtual_size || full < rounded || full > kMax) return kMax;
  const uint64_t metadata = full - rounded;
  if (allocates_data(target.preallocation)) {
    // qcow2_refcount_area() puts a new refcount table (and blocks) behind what create wrote,
    // keeping the first block; the old table's cluster may stay unused (a size-0 image).
    return full > kMax - metadata - 2 * m.cluster_size ? kMax
                                                       : full + metadata + 2 * m.cluster_size;
  }
  if (!compressed) return full;
  // Compressed clusters are never larger than a cluster (else they are written uncompressed),
  // but packing restarts in a fresh cluster after each metadata cluster allocated in between.
  return full > kMax - metadata - m.cluster_size ? kMax : full + metadata + m.cluster_size;
}

}  // namespace instar::cli
