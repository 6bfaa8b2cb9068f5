// format_name.cc: qemu 7.2's block driver names (qemu-img --help lists them) vs instar's formats.
#include "engine/cli/format_name.h"

#include <array>
#include <string_view>

namespace instar::cli {

namespace {
// Drivers a Debian 12 qemu-img accepts for -f besides raw, qcow2, vmdk, vdi, vpc, qed, luks and
// kSmallFormats' and vhdx (`qemu-img --help`).
constexpr std::array<std::string_view, 32> kOtherQemuDrivers = {"blkdebug",
                                                                "blklogwrites",
                                                                "blkverify",
                                                                "bochs",
                                                                "cloop",
                                                                "compress",
                                                                "copy-before-write",
                                                                "copy-on-read",
                                                                "dmg",
                                                                "file",
                                                                "ftp",
                                                                "ftps",
                                                                "gluster",
                                                                "host_cdrom",
                                                                "host_device",
                                                                "http",
                                                                "https",
                                                                "iscsi",
                                                                "iser",
                                                                "nbd",
                                                                "nfs",
                                                                "null-aio",
                                                                "null-co",
                                                                "nvme",
                                                                "preallocate",
                                                                "quorum",
                                                                "rbd",
                                                                "replication",
                                                                "snapshot-access",
                                                                "ssh",
                                                                "throttle",
                                                                "vvfat"};
}  // namespace

FormatLookup lookup_format(const std::string& name, abi::ImageFormat* format) {
  if (name == "raw") {
    *format = abi::ImageFormat::kRaw;
    return FormatLookup::kSupported;
  }
  if (name == "qcow2") {
    *format = abi::ImageFormat::kQcow2;
    return FormatLookup::kSupported;
  }
  if (name == "vmdk") {
    *format = abi::ImageFormat::kVmdk;
    return FormatLookup::kSupported;
  }
  if (name == "vdi") {
    *format = abi::ImageFormat::kVdi;
    return FormatLookup::kSupported;
  }
  if (name == "vhdx") {
    *format = abi::ImageFormat::kVhdx;
    return FormatLookup::kSupported;
  }
  if (name == "qed") {
    *format = abi::ImageFormat::kQed;
    return FormatLookup::kSupported;
  }
  if (name == "luks") {
    *format = abi::ImageFormat::kLuks;
    return FormatLookup::kSupported;
  }
  if (name == "vpc") {
    *format = abi::ImageFormat::kVpc;
    return FormatLookup::kSupported;
  }
  // small-formats: read-only inputs.
  struct Named {
    std::string_view name;
    abi::ImageFormat format;
  };
  constexpr Named kSmallFormats[] = {{"qcow", abi::ImageFormat::kQcow},
                                     {"parallels", abi::ImageFormat::kParallels}};
  for (const Named& f : kSmallFormats) {
    if (f.name == name) {
      *format = f.format;
      return FormatLookup::kSupported;
    }
  }
  for (std::string_view d : kOtherQemuDrivers) {
    if (d == name) return FormatLookup::kUnsupported;
  }
  return FormatLookup::kUnknown;
}

}  // namespace instar::cli
