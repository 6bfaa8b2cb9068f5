// help_text.cc: usage summary of what instar implements, and its version line.
#include "engine/cli/help_text.h"

namespace instar::cli {

namespace {
constexpr const char* kInstarVersion = "0.1.0";
}  // namespace

std::string help_text(const std::string& program, const ProfileSelection& selection) {
  return version_text(program, selection) + "usage: " + program +
         " [--sandbox=auto|kvm|process] [--qemu-version=X.Y[.Z]] [--timeout=SECONDS]"
         " [--allow-root=DIR]... [--unsafe-quirks] [--verbose] [standard options]"
         " command [command options]\n"
         "instar: a sandboxed, output-compatible replacement for qemu-img\n"
         "\n"
         "    '-h', '--help'       display this help and exit\n"
         "    '-V', '--version'    output version information and exit\n"
         "    '-T', '--trace'      [[enable=]<pattern>][,events=<file>][,file=<file>]\n"
         "                         accepted for qemu-img's callers; instar has no trace events\n"
         "    '--sandbox=MODE'     where images are parsed: 'kvm' (a minimal VM), 'process'\n"
         "                         (a seccomp-confined process) or 'auto' (kvm when /dev/kvm is\n"
         "                         usable); also INSTAR_SANDBOX\n"
         "    '--qemu-version=V'   reproduce qemu-img V's output (7.2, 8.2, 9.2, 10.0, 10.2; "
         "others\n"
         "                         use the nearest older); also INSTAR_QEMU_VERSION; default: the\n"
         "                         qemu-img on PATH, else the newest\n"
         "    '--timeout=SECONDS'  wall-clock time for the whole command; also INSTAR_TIMEOUT;\n"
         "                         default: info 5 s per image, check 20 s + 10 s per GiB,\n"
         "                         compare 20 s + 20 s per GiB read, convert 20 s + 40 s per GiB\n"
         "    '--allow-root=DIR'   backing and data files may lie under DIR (repeatable) instead\n"
         "                         of the top image's directory; also INSTAR_ALLOW_ROOT=DIR[:DIR]\n"
         "    '--unsafe-quirks'    read content not recognised as raw as raw, as qemu-img does;\n"
         "                         also INSTAR_UNSAFE_QUIRKS=1\n"
         "    '--verbose'          explain the profile choice on stderr; also INSTAR_VERBOSE=1\n"
         "\n"
         "Command syntax:\n"
         "  amend [--object objectdef] [--image-opts] [-p] [-q] [-f fmt] [-t cache] [--force] -o "
         "options\n"
         "          filename\n"
         "  check [--object objectdef] [--image-opts] [-q] [-f fmt] [--output=ofmt] [-T src_cache] "
         "[-U] filename\n"
         "  compare [--object objectdef] [--image-opts] [-f fmt] [-F fmt] [-T src_cache] [-p] [-q] "
         "[-s] [-U] filename1 filename2\n"
         "  convert [--object objectdef] [--image-opts] [--target-is-zero] [-U] [-C] [-c] [-p] "
         "[-q] [-n]\n"
         "          [-f fmt] [-t cache] [-T src_cache] [-O raw|qcow2] [-B backing_file [-F "
         "backing_fmt]]\n"
         "          [-o options] [-l snapshot_param] [-S sparse_size] [-r rate_limit] [-m "
         "num_coroutines] [-W]\n"
         "          filename [filename2 [...]] output_filename\n"
         "  create [--object objectdef] [-q] [-f raw|qcow2] [-b backing_file [-F backing_fmt]] "
         "[-u]\n"
         "          [-o options] filename [size]\n"
         "  dd [--image-opts] [-U] [-f fmt] [-O raw|qcow2] [bs=block_size] [count=blocks] "
         "[skip=blocks]\n"
         "          if=input of=output\n"
         "  info [--object objectdef] [--image-opts] [-f fmt] [--output=ofmt] [--backing-chain] "
         "[-U] filename\n"
         "  map [--object objectdef] [--image-opts] [-f fmt] [--start-offset=offset] "
         "[--max-length=len]\n"
         "          [--output=ofmt] [-U] filename\n"
         "  measure [--output=ofmt] [-O output_fmt] [-o options] [--size N | [--object objectdef]\n"
         "          [--image-opts] [-f fmt] [-l snapshot_param] filename]\n"
         "  snapshot [--object objectdef] [--image-opts] [-U] [-q] [-l | -a snapshot | -c snapshot "
         "|\n"
         "          -d snapshot] filename\n"
         "  rebase [--object objectdef] [--image-opts] [-U] [-q] [-f fmt] [-t cache] [-T "
         "src_cache] [-p]\n"
         "          [-u] -b backing_file [-F backing_fmt] filename\n"
         "  resize [--object objectdef] [--image-opts] [-f fmt] [--preallocation=prealloc] [-q] "
         "[--shrink]\n"
         "          filename [+ | -]size\n"
         "\n"
         "Supported formats: qcow2 raw vdi vmdk vpc\n";
}

std::string version_text(const std::string& program, const ProfileSelection& selection) {
  const std::string qemu = selection.reported.ToString();
  if (program == "qemu-img") {
    // A drop-in answers in qemu-img's words, naming the profile it reproduces; "(instar" also
    // tells profile detection that this qemu-img is not a real one.
    return "qemu-img version " + qemu + " (instar " + kInstarVersion + ")\nCopyright (c) " +
           std::string(selection.profile.copyright) +
           " Fabrice Bellard and the QEMU Project developers\n";
  }
  return std::string("instar version ") + kInstarVersion + " (qemu-img " + qemu +
         " output profile)\n";
}

}  // namespace instar::cli
