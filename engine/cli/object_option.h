// object_option.h: qemu-img's --object, checked as qemu 7.2's user_creatable_process_cmdline()
// checks it. instar creates no objects: a secret is accepted (and its file read for
// readability only) so that callers passing one for images that never use it work unchanged.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace instar::cli {

struct ObjectOptionResult {
  enum class Kind { kAccepted, kHelp, kError };
  Kind kind = Kind::kError;
  std::string text;  // kHelp: what qemu prints on stdout; kError: the message after "<program>: "
};

// The --object options of one command line: ids must be unique across them.
class ObjectOptions {
 public:
  ObjectOptionResult Add(std::string_view text);

 private:
  std::set<std::string> ids_;
};

// How a subcommand's option scan takes one --object: qemu acts on it at once, in the getopt
// loop. Returns false to stop the scan: `*help` set (print it, exit 0) or `*error` set.
bool TakeObjectOption(ObjectOptions& objects, const char* value, std::optional<std::string>* help,
                      std::string* error);

}  // namespace instar::cli
