// create_option_help.cc: the create_opts and amend_opts help texts of qemu 7.2's qcow2, raw,
// luks and file drivers.
#include "engine/cli/create_option_help.h"

#include <algorithm>
#include <span>
#include <vector>

namespace instar::cli {

namespace {

struct HelpEntry {
  const char* name;
  const char* type;  // opt_type_to_string()
  const char* help;
};

constexpr const char* kBool = "bool (on/off)";

// block/qcow2.c QCOW_COMMON_OPTIONS: the end of both its create and its amend list.
constexpr HelpEntry kQcow2Common[] = {
    {"size", "size", "Virtual disk size"},
    {"compat", "str", "Compatibility level (v2 [0.10] or v3 [1.1])"},
    {"backing_file", "str", "File name of a base image"},
    {"backing_fmt", "str", "Image format of the base image"},
    {"data_file", "str", "File name of an external data file"},
    {"data_file_raw", kBool, "The external data file must stay valid as a raw image"},
    {"lazy_refcounts", kBool, "Postpone refcount updates"},
    {"refcount_bits", "num", "Width of a reference count entry in bits"},
};

// block/qcow2.c qcow2_create_opts, before QCOW_COMMON_OPTIONS.
constexpr HelpEntry kQcow2[] = {
    {"encryption", kBool,
     "Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)"},
    {"encrypt.format", "str", "Encrypt the image, format choices: 'aes', 'luks'"},
    {"encrypt.key-secret", "str", "ID of secret providing qcow AES key or LUKS passphrase"},
    {"encrypt.cipher-alg", "str", "Name of encryption cipher algorithm"},
    {"encrypt.cipher-mode", "str", "Name of encryption cipher mode"},
    {"encrypt.ivgen-alg", "str", "Name of IV generator algorithm"},
    {"encrypt.ivgen-hash-alg", "str", "Name of IV generator hash algorithm"},
    {"encrypt.hash-alg", "str", "Name of encryption hash algorithm"},
    {"encrypt.iter-time", "num", "Time to spend in PBKDF in milliseconds"},
    {"cluster_size", "size", "qcow2 cluster size"},
    {"extended_l2", kBool, "Extended L2 tables"},
    {"preallocation", "str", "Preallocation mode (allowed values: off, metadata, falloc, full)"},
    {"compression_type", "str", "Compression method used for image cluster compression"},
};

// block/raw-format.c raw_create_opts.
constexpr HelpEntry kRaw[] = {{"size", "size", "Virtual disk size"}};

// block/file-posix.c raw_create_opts.
constexpr HelpEntry kFile[] = {
    {"size", "size", "Virtual disk size"},
    {"nocow", kBool, "Turn off copy-on-write (valid only on btrfs)"},
    {"preallocation", "str", "Preallocation mode (allowed values: off, falloc, full)"},
    {"extent_size_hint", "size", "Extent size hint for the image file, 0 to disable"},
};

// block/qcow2.c qcow2_amend_opts: the LUKS amend options, then QCOW_COMMON_OPTIONS.
constexpr HelpEntry kQcow2Amend[] = {
    {"encrypt.state", "str", "Select new state of affected keyslots (active/inactive)"},
    {"encrypt.keyslot", "num", "Select a single keyslot to modify explicitly"},
    {"encrypt.old-secret", "str", "Select all keyslots that match this password"},
    {"encrypt.new-secret", "str",
     "New secret to set in the matching keyslots. Empty string to erase"},
    {"encrypt.iter-time", "num", "Time to spend in PBKDF in milliseconds"},
};

// block/crypto.c block_crypto_amend_opts_luks.
constexpr HelpEntry kLuksAmend[] = {
    {"state", "str", "Select new state of affected keyslots (active/inactive)"},
    {"keyslot", "num", "Select a single keyslot to modify explicitly"},
    {"old-secret", "str", "Select all keyslots that match this password"},
    {"new-secret", "str", "New secret to set in the matching keyslots. Empty string to erase"},
    {"iter-time", "num", "Time to spend in PBKDF in milliseconds"},
};

// qemu_opts_print_help(): sorted by name; "  name=<type>" padded to 24 columns, " - help".
std::string option_lines(std::vector<HelpEntry> entries) {
  std::sort(entries.begin(), entries.end(), [](const HelpEntry& a, const HelpEntry& b) {
    return std::string_view(a.name) < std::string_view(b.name);
  });
  std::string out;
  for (const HelpEntry& e : entries) {
    std::string line = std::string("  ") + e.name + "=<" + e.type + ">";
    if (line.size() < 24) line.append(24 - line.size(), ' ');
    out += line + " - " + e.help + "\n";
  }
  return out;
}

}  // namespace

std::string amend_option_help(const std::string& format) {
  const std::span<const HelpEntry> own = format == "qcow2" ? std::span<const HelpEntry>(kQcow2Amend)
                                                           : std::span<const HelpEntry>(kLuksAmend);
  std::vector<HelpEntry> entries(own.begin(), own.end());
  if (format == "qcow2")
    entries.insert(entries.end(), std::begin(kQcow2Common), std::end(kQcow2Common));
  return "Amend options for '" + format + "':\n" + option_lines(std::move(entries));
}

std::string create_option_help(const std::string& format, bool with_filename) {
  // qemu_opts_append(): the format's options, then the protocol's not already there.
  std::vector<HelpEntry> entries;
  const std::span<const HelpEntry> own =
      format == "qcow2" ? std::span<const HelpEntry>(kQcow2) : std::span<const HelpEntry>(kRaw);
  entries.assign(own.begin(), own.end());
  if (format == "qcow2")
    entries.insert(entries.end(), std::begin(kQcow2Common), std::end(kQcow2Common));
  if (with_filename) {
    for (const HelpEntry& e : kFile) {
      const bool listed = std::any_of(entries.begin(), entries.end(), [&e](const HelpEntry& x) {
        return std::string_view(x.name) == e.name;
      });
      if (!listed) entries.push_back(e);
    }
  }
  std::string out = with_filename ? "Supported options:\n" : "Supported " + format + " options:\n";
  out += option_lines(std::move(entries));
  if (!with_filename) {
    out +=
        "\nThe protocol level may support further options.\n"
        "Specify the target filename to include those options.\n";
  }
  return out;
}

}  // namespace instar::cli
