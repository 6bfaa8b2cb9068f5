// format_name.h: maps `-f NAME` to what instar can run, in qemu's driver vocabulary.
#pragma once

#include <string>

#include "guest/abi/abi.h"

namespace instar::cli {

enum class FormatLookup {
  kSupported,    // *format is set
  kUnsupported,  // a qemu driver instar does not implement yet
  kUnknown,      // qemu-img says "Unknown driver '<name>'"
};

FormatLookup lookup_format(const std::string& name, abi::ImageFormat* format);

}  // namespace instar::cli
