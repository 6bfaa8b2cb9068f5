// create_option_help.h: what `qemu-img create -f FMT -o help [filename]` and `amend -o help`
// print (7.2's print_block_option_help() with qemu_opts_print_help()).
#pragma once

#include <string>

namespace instar::cli {

// The help for format "qcow2" or "raw": with a file name, the format's and the file protocol's
// options merged ("Supported options:"); without, the format's alone ("Supported <fmt>
// options:") and the hint that the protocol may have more.
std::string create_option_help(const std::string& format, bool with_filename);

// What `qemu-img amend -o help` prints for format "qcow2" or "luks" (7.2's
// print_amend_option_help(): "Amend options for '<fmt>':" and the driver's amend_opts).
std::string amend_option_help(const std::string& format);

}  // namespace instar::cli
