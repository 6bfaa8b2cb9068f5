// amend_plan.h: img_amend's parse of the -o list for a qcow2 image and qcow2_amend_options()'s
// option loop, as far as they do not depend on the image (it is open, unencrypted and has no
// external data file when this runs), turned into the guest's AmendFlags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/cli/creation_options.h"

namespace instar::cli {

struct AmendPlan {
  uint32_t flags = 0;          // abi::AmendFlags
  uint32_t version = 0;        // compat: 2 or 3, 0 when not given
  uint32_t refcount_bits = 0;  // with kAmendRefcountBits
  uint64_t size = 0;           // with kAmendSize
  std::string backing_file;    // with kAmendBackingFile
  std::string backing_fmt;     // with kAmendBackingFmt
};

struct AmendPlanResult {
  // The first failure as qemu reports it: the parse's (with the "only supported for image
  // creation" hint where qemu adds it) or the option loop's. Nothing is written then.
  std::optional<OptionsError> error;
  // The error is the option loop's: qemu reports it from bdrv_amend_options(), after img_amend's
  // progress printed 0% (and before it prints 100%).
  bool error_in_amend = false;
  std::vector<std::string> warnings;  // the parse's warn_report() lines ("warning: ...")
  AmendPlan plan;
};

// `options`: every -o joined with ','. qemu_opts_do_parse() against qcow2_amend_opts, retried
// against qcow2_amend_opts + qcow2_create_opts to word the hint; then the loop in the list's
// order: encrypt.* ("Can't amend encryption options - encryption not present"), size, compat
// ("Unknown compatibility level %s"), backing_file, backing_fmt, data_file, data_file_raw,
// lazy_refcounts, refcount_bits.
AmendPlanResult plan_qcow2_amend(const std::string& options);

}  // namespace instar::cli
