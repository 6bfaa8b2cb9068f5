// amend_plan.cc: img_amend's -o parse and the image-independent half of qcow2_amend_options().
#include "engine/cli/amend_plan.h"

#include "guest/abi/abi.h"

namespace instar::cli {

AmendPlanResult plan_qcow2_amend(const std::string& options) {
  AmendPlanResult result;
  CreationOptions parsed;
  if (std::optional<OptionsError> error =
          parse_creation_options(options, qcow2_amend_options(), &parsed)) {
    // img_amend: if the list parses once qcow2_create_opts are appended, the option is one that
    // only creation takes.
    CreationOptions retry;
    if (!parse_creation_options(options, qcow2_amend_and_creation_options(), &retry)) {
      error->hint += "This option is only supported for image creation\n";
    }
    result.error = std::move(error);
    return result;
  }
  result.warnings = parsed.warnings();
  const auto refuse = [&result](std::string message) {
    result.error = OptionsError{std::move(message), ""};
    result.error_in_amend = true;
    return result;
  };
  for (const char* name : {"encrypt.state", "encrypt.keyslot", "encrypt.old-secret",
                           "encrypt.new-secret", "encrypt.iter-time"}) {
    // Only an unencrypted image gets here: qemu's open of an encrypted one needs its secret.
    if (parsed.find(name) != nullptr) {
      return refuse("Can't amend encryption options - encryption not present");
    }
  }
  AmendPlan& plan = result.plan;
  if (const CreationOptions::Option* size = parsed.find("size")) {
    plan.flags |= abi::kAmendSize;
    plan.size = size->number;
  }
  if (const CreationOptions::Option* compat = parsed.find("compat")) {
    if (compat->text == "0.10" || compat->text == "v2") {
      plan.version = 2;
    } else if (compat->text == "1.1" || compat->text == "v3") {
      plan.version = 3;
    } else {
      return refuse("Unknown compatibility level " + compat->text);
    }
  }
  if (const CreationOptions::Option* backing = parsed.find("backing_file")) {
    plan.flags |= abi::kAmendBackingFile;
    plan.backing_file = backing->text;
  }
  if (const CreationOptions::Option* fmt = parsed.find("backing_fmt")) {
    plan.flags |= abi::kAmendBackingFmt;
    plan.backing_fmt = fmt->text;
  }
  // An image without an external data file: any data_file value is refused, and data_file_raw
  // can only stay off.
  if (parsed.find("data_file") != nullptr) {
    return refuse("data-file can only be set for images that use an external data file");
  }
  if (const CreationOptions::Option* raw = parsed.find("data_file_raw"); raw && raw->flag) {
    return refuse("data-file-raw cannot be set on existing images");
  }
  if (const CreationOptions::Option* lazy = parsed.find("lazy_refcounts")) {
    plan.flags |= abi::kAmendLazyGiven;
    if (lazy->flag) plan.flags |= abi::kAmendLazyOn;
  }
  if (const CreationOptions::Option* bits = parsed.find("refcount_bits")) {
    // qemu_opt_get_number() into an int.
    const auto width = static_cast<int32_t>(static_cast<uint32_t>(bits->number));
    if (width <= 0 || width > 64 || (width & (width - 1)) != 0) {
      return refuse("Refcount width must be a power of two and may not exceed 64 bits");
    }
    plan.flags |= abi::kAmendRefcountBits;
    plan.refcount_bits = static_cast<uint32_t>(width);
  }
  return result;
}

}  // namespace instar::cli
