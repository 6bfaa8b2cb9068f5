// help_text.cc: usage summary of what instar implements, and its version line.
#include "engine/cli/help_text.h"

namespace instar::cli {

namespace {
constexpr const char* kInstarVersion = "0.1.0";
constexpr const char* kQemuProfile = "7.2.0";
}  // namespace

std::string help_text(const std::string& program) {
  return version_text(program) + "usage: " + program +
         " [--sandbox=auto|kvm|process] [standard options] command [command options]\n"
         "instar: a sandboxed, output-compatible replacement for qemu-img\n"
         "\n"
         "    '-h', '--help'       display this help and exit\n"
         "    '-V', '--version'    output version information and exit\n"
         "    '--sandbox=MODE'     where images are parsed: 'kvm' (a minimal VM), 'process'\n"
         "                         (a seccomp-confined process) or 'auto' (kvm when /dev/kvm is\n"
         "                         usable); also INSTAR_SANDBOX\n"
         "\n"
         "Command syntax:\n"
         "  info [--object objectdef] [--image-opts] [-f fmt] [--output=ofmt] [--backing-chain] "
         "[-U] filename\n"
         "\n"
         "Supported formats: qcow2 raw\n";
}

std::string version_text(const std::string& program) {
  if (program == "qemu-img") {
    // A drop-in answers in qemu-img's words, naming the profile it reproduces.
    return std::string("qemu-img version ") + kQemuProfile + " (instar " + kInstarVersion +
           ")\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n";
  }
  return std::string("instar version ") + kInstarVersion + " (qemu-img " + kQemuProfile +
         " output profile)\n";
}

}  // namespace instar::cli
