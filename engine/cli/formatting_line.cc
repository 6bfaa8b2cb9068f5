// formatting_line.cc: qemu_opts_print() over qemu 7.2's qcow2 and raw create_opts lists.
#include "engine/cli/formatting_line.h"

#include <cstdint>
#include <span>

namespace instar::cli {

namespace {

struct PrintedOption {
  const char* name;
  OptionType type;
  const char* default_value;  // def_value_str, or nullptr
};

// block/qcow2.c qcow2_create_opts (encryption, the encrypt.* options, cluster_size, extended_l2,
// preallocation, compression_type, then QCOW_COMMON_CREATE_OPTS), then block/file-posix.c's
// raw_create_opts minus size and preallocation.
constexpr PrintedOption kQcow2[] = {
    {"encryption", OptionType::kBool, nullptr},
    {"encrypt.format", OptionType::kString, nullptr},
    {"encrypt.key-secret", OptionType::kString, nullptr},
    {"encrypt.cipher-alg", OptionType::kString, nullptr},
    {"encrypt.cipher-mode", OptionType::kString, nullptr},
    {"encrypt.ivgen-alg", OptionType::kString, nullptr},
    {"encrypt.ivgen-hash-alg", OptionType::kString, nullptr},
    {"encrypt.hash-alg", OptionType::kString, nullptr},
    {"encrypt.iter-time", OptionType::kNumber, nullptr},
    {"cluster_size", OptionType::kSize, "65536"},
    {"extended_l2", OptionType::kBool, "off"},
    {"preallocation", OptionType::kString, nullptr},
    {"compression_type", OptionType::kString, "zlib"},
    {"size", OptionType::kSize, nullptr},
    {"compat", OptionType::kString, nullptr},
    {"backing_file", OptionType::kString, nullptr},
    {"backing_fmt", OptionType::kString, nullptr},
    {"data_file", OptionType::kString, nullptr},
    {"data_file_raw", OptionType::kBool, nullptr},
    {"lazy_refcounts", OptionType::kBool, "off"},
    {"refcount_bits", OptionType::kNumber, "16"},
    {"nocow", OptionType::kBool, nullptr},
    {"extent_size_hint", OptionType::kSize, nullptr},
};

// block/raw-format.c raw_create_opts (size), then file-posix's.
constexpr PrintedOption kRaw[] = {
    {"size", OptionType::kSize, nullptr},
    {"nocow", OptionType::kBool, nullptr},
    {"preallocation", OptionType::kString, nullptr},
    {"extent_size_hint", OptionType::kSize, nullptr},
};

// escaped_print(): a ',' in a string value is printed as ",,".
std::string escaped(const std::string& value) {
  std::string out;
  for (const char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

}  // namespace

std::string formatting_line(const std::string& filename, const std::string& format,
                            const CreationOptions& options) {
  const std::span<const PrintedOption> list = format == "qcow2"
                                                  ? std::span<const PrintedOption>(kQcow2)
                                                  : std::span<const PrintedOption>(kRaw);
  std::string line = "Formatting '" + filename + "', fmt=" + format + " ";
  const char* separator = "";
  for (const PrintedOption& desc : list) {
    const CreationOptions::Option* opt = options.find(desc.name);
    if (opt == nullptr && desc.default_value == nullptr) continue;
    const std::string value = opt != nullptr ? opt->text : desc.default_value;
    line += separator;
    line += desc.name;
    line += '=';
    if (desc.type == OptionType::kString) {
      line += escaped(value);
    } else if ((desc.type == OptionType::kSize || desc.type == OptionType::kNumber) &&
               opt != nullptr) {
      line += std::to_string(static_cast<int64_t>(opt->number));
    } else {
      line += value;
    }
    separator = " ";
  }
  return line + "\n";
}

}  // namespace instar::cli
