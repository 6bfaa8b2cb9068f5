// creation_options.cc: qemu 7.2's opts_do_parse() / opt_validate() over create_opts tables.
#include "engine/cli/creation_options.h"

#include <cstring>

#include "engine/cli/size_suffix.h"

namespace instar::cli {

namespace {

// The file protocol's options, which qemu-img appends to every format's list.
#define INSTAR_FILE_CREATE_OPTIONS                           \
  {"size", OptionType::kSize}, {"nocow", OptionType::kBool}, \
      {"preallocation", OptionType::kString}, {              \
    "extent_size_hint", OptionType::kSize                    \
  }

// BLOCK_CRYPTO_OPT_DEF_LUKS_* with a prefix ("" for luks, "encrypt." inside qcow2).
#define INSTAR_LUKS_CREATE_OPTIONS(prefix)                                                        \
  {prefix "key-secret", OptionType::kString}, {prefix "cipher-alg", OptionType::kString},         \
      {prefix "cipher-mode", OptionType::kString}, {prefix "ivgen-alg", OptionType::kString},     \
      {prefix "ivgen-hash-alg", OptionType::kString}, {prefix "hash-alg", OptionType::kString}, { \
    prefix "iter-time", OptionType::kNumber                                                       \
  }

constexpr OptionDesc kQcow2Options[] = {
    {"size", OptionType::kSize},
    {"compat", OptionType::kString},
    {"backing_file", OptionType::kString},
    {"backing_fmt", OptionType::kString},
    {"data_file", OptionType::kString},
    {"data_file_raw", OptionType::kBool},
    {"encryption", OptionType::kBool},
    {"encrypt.format", OptionType::kString},
    INSTAR_LUKS_CREATE_OPTIONS("encrypt."),
    {"cluster_size", OptionType::kSize},
    {"preallocation", OptionType::kString},
    {"lazy_refcounts", OptionType::kBool},
    {"refcount_bits", OptionType::kNumber},
    {"compression_type", OptionType::kString},
    {"extended_l2", OptionType::kBool},
    // file-posix's, minus the names qcow2 already has
    {"nocow", OptionType::kBool},
    {"extent_size_hint", OptionType::kSize},
};

// qcow2_amend_opts: the LUKS amend options, then QCOW_COMMON_OPTIONS.
#define INSTAR_QCOW2_AMEND_OPTIONS                                                              \
  {"encrypt.state", OptionType::kString}, {"encrypt.keyslot", OptionType::kNumber},             \
      {"encrypt.old-secret", OptionType::kString}, {"encrypt.new-secret", OptionType::kString}, \
      {"encrypt.iter-time", OptionType::kNumber}, {"size", OptionType::kSize},                  \
      {"compat", OptionType::kString}, {"backing_file", OptionType::kString},                   \
      {"backing_fmt", OptionType::kString}, {"data_file", OptionType::kString},                 \
      {"data_file_raw", OptionType::kBool}, {"lazy_refcounts", OptionType::kBool}, {            \
    "refcount_bits", OptionType::kNumber                                                        \
  }

constexpr OptionDesc kQcow2AmendOptions[] = {INSTAR_QCOW2_AMEND_OPTIONS};

// img_amend's second try: qcow2_amend_opts with qcow2_create_opts appended (no protocol's).
constexpr OptionDesc kQcow2AmendCreateOptions[] = {
    INSTAR_QCOW2_AMEND_OPTIONS,
    {"encryption", OptionType::kBool},
    {"encrypt.format", OptionType::kString},
    INSTAR_LUKS_CREATE_OPTIONS("encrypt."),
    {"cluster_size", OptionType::kSize},
    {"extended_l2", OptionType::kBool},
    {"preallocation", OptionType::kString},
    {"compression_type", OptionType::kString},
};

#undef INSTAR_QCOW2_AMEND_OPTIONS

constexpr OptionDesc kRawOptions[] = {INSTAR_FILE_CREATE_OPTIONS};

constexpr OptionDesc kLuksOptions[] = {
    {"size", OptionType::kSize},
    INSTAR_LUKS_CREATE_OPTIONS(""),
    {"nocow", OptionType::kBool},
    {"preallocation", OptionType::kString},
    {"extent_size_hint", OptionType::kSize},
};

#undef INSTAR_FILE_CREATE_OPTIONS
#undef INSTAR_LUKS_CREATE_OPTIONS

// get_opt_value(): up to the first single ',', with ",," standing for ','.
size_t take_value(const std::string& text, size_t pos, std::string* value) {
  value->clear();
  while (pos < text.size()) {
    if (text[pos] == ',') {
      if (pos + 1 < text.size() && text[pos + 1] == ',') {
        value->push_back(',');
        pos += 2;
        continue;
      }
      break;
    }
    value->push_back(text[pos++]);
  }
  return pos;
}

// qapi_bool_parse().
bool parse_bool(const std::string& v, bool* out) {
  if (v == "on" || v == "yes" || v == "true" || v == "y") {
    *out = true;
    return true;
  }
  if (v == "off" || v == "no" || v == "false" || v == "n") {
    *out = false;
    return true;
  }
  return false;
}

// opt_validate() + qemu_opt_parse() of one option.
std::optional<OptionsError> validate(std::span<const OptionDesc> table,
                                     CreationOptions::Option* option, CreationOptions* out) {
  const OptionDesc* desc = nullptr;
  for (const OptionDesc& d : table) {
    if (option->name == d.name) desc = &d;
  }
  if (desc == nullptr) return OptionsError{"Invalid parameter '" + option->name + "'", ""};
  const std::string& name = option->name;
  const std::string& value = option->text;
  switch (desc->type) {
    case OptionType::kString:
      return std::nullopt;
    case OptionType::kBool:
      if (parse_bool(value, &option->flag)) return std::nullopt;
      return OptionsError{"Parameter '" + name + "' expects 'on' or 'off'", ""};
    case OptionType::kNumber:
      switch (parse_u64(value, &option->number)) {
        case SizeParse::kOk:
          return std::nullopt;
        case SizeParse::kOutOfRange:
          return OptionsError{"Value '" + value + "' is too large for parameter '" + name + "'",
                              ""};
        case SizeParse::kInvalid:
          break;
      }
      return OptionsError{"Parameter '" + name + "' expects a number", ""};
    case OptionType::kSize: {
      bool hex_with_suffix = false;
      switch (parse_size(value, &option->number, &hex_with_suffix)) {
        case SizeParse::kOk:
          if (hex_with_suffix) {
            out->warn("warning: Using a multiplier suffix on hex numbers is deprecated: " + value);
          }
          return std::nullopt;
        case SizeParse::kOutOfRange:
          return OptionsError{"Value '" + value + "' is out of range for parameter '" + name + "'",
                              ""};
        case SizeParse::kInvalid:
          break;
      }
      return OptionsError{"Parameter '" + name + "' expects a non-negative number below 2^64",
                          "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, "
                          "peta-\nand exabytes, respectively.\n"};
    }
  }
  return std::nullopt;
}

}  // namespace

bool has_help_option(const std::string& options) {
  size_t start = 0;
  while (start <= options.size()) {
    size_t end = options.find(',', start);
    while (end != std::string::npos && end + 1 < options.size() && options[end + 1] == ',') {
      end = options.find(',', end + 2);
    }
    const std::string item =
        options.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (item == "help" || item == "?") return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

bool is_valid_option_list(const std::string& text) {
  if (text.empty() || text[0] == ',') return false;
  size_t commas = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == ','; --i) ++commas;
  return commas % 2 == 0;
}

void accumulate_options(std::string* options, const std::string& more) {
  if (options->empty()) {
    *options = more;
  } else {
    *options += "," + more;
  }
}

const CreationOptions::Option* CreationOptions::find(const std::string& name) const {
  for (auto it = options_.rbegin(); it != options_.rend(); ++it) {
    if (it->name == name) return &*it;
  }
  return nullptr;
}

std::optional<OptionsError> parse_creation_options(const std::string& text,
                                                   std::span<const OptionDesc> table,
                                                   CreationOptions* out) {
  size_t pos = 0;
  while (pos < text.size()) {
    CreationOptions::Option option;
    const size_t len = text.find_first_of("=,", pos) == std::string::npos
                           ? text.size() - pos
                           : text.find_first_of("=,", pos) - pos;
    option.name = text.substr(pos, len);
    pos += len;
    if (pos < text.size() && text[pos] == '=') {
      pos = take_value(text, pos + 1, &option.text);
    } else if (option.name.rfind("no", 0) == 0) {  // "nofoo": foo=off
      option.name.erase(0, 2);
      option.text = "off";
    } else {  // "foo": foo=on
      option.text = "on";
    }
    if (pos < text.size() && text[pos] == ',') ++pos;
    if (option.name == "id") continue;
    if (std::optional<OptionsError> error = validate(table, &option, out)) return error;
    out->append(std::move(option));
  }
  return std::nullopt;
}

std::span<const OptionDesc> qcow2_creation_options() {
  return kQcow2Options;
}
std::span<const OptionDesc> qcow2_amend_options() {
  return kQcow2AmendOptions;
}
std::span<const OptionDesc> qcow2_amend_and_creation_options() {
  return kQcow2AmendCreateOptions;
}
std::span<const OptionDesc> raw_creation_options() {
  return kRawOptions;
}
std::span<const OptionDesc> luks_creation_options() {
  return kLuksOptions;
}

}  // namespace instar::cli
