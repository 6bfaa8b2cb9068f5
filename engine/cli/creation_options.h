// creation_options.h: `-o` image-creation options parsed as qemu 7.2's qemu_opts_do_parse()
// parses them against a driver's create_opts list (util/qemu-option.c).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace instar::cli {

enum class OptionType { kString, kBool, kNumber, kSize };

struct OptionDesc {
  const char* name;
  OptionType type;
};

// is_valid_option_list(): not empty, not starting with ',', and not ending in an odd run of
// commas (",," is an escaped comma). qemu-img says "Invalid option list: <text>" otherwise.
bool is_valid_option_list(const std::string& text);

// has_help_option(): an option named "help" or "?" anywhere in the list (qemu-img then prints
// the creation options and exits 0).
bool has_help_option(const std::string& options);

// accumulate_options(): several -o join with ','.
void accumulate_options(std::string* options, const std::string& more);

// The options of one QemuOpts, in command-line order; lookups take the last occurrence, as
// qemu_opt_find() does.
class CreationOptions {
 public:
  struct Option {
    std::string name;
    std::string text;  // the value as given (",," unescaped)
    bool flag = false;
    uint64_t number = 0;  // kNumber / kSize
  };
  const Option* find(const std::string& name) const;
  void append(Option option) { options_.push_back(std::move(option)); }
  // warn_report() lines the values caused, without the program prefix ("warning: ...").
  const std::vector<std::string>& warnings() const { return warnings_; }
  void warn(std::string line) { warnings_.push_back(std::move(line)); }

 private:
  std::vector<Option> options_;
  std::vector<std::string> warnings_;
};

struct OptionsError {
  std::string message;  // error_report line without the program prefix
  std::string hint;     // error_append_hint text (newline-terminated), printed without prefix
};

// qemu_opts_do_parse(opts, text, NULL): "name=value" pairs split at single commas, a bare
// "name" meaning name=on and "noname" name=off, "id" skipped; each validated against `table` as
// it comes. On failure returns the first error.
std::optional<OptionsError> parse_creation_options(const std::string& text,
                                                   std::span<const OptionDesc> table,
                                                   CreationOptions* out);

// Create-option lists of qemu 7.2 (block/qcow2.c, block/raw-format.c, block/crypto.c), each
// followed by the file protocol's (block/file-posix.c) as qemu_opts_append() joins them.
std::span<const OptionDesc> qcow2_creation_options();
std::span<const OptionDesc> raw_creation_options();
std::span<const OptionDesc> luks_creation_options();

// img_amend's lists for qcow2: qcow2_amend_opts alone, and with qcow2_create_opts appended (the
// second parse that tells an option only image creation takes).
std::span<const OptionDesc> qcow2_amend_options();
std::span<const OptionDesc> qcow2_amend_and_creation_options();

}  // namespace instar::cli
