// object_option.cc: validating --object as qemu 7.2 does (keyval or JSON form, the secret type).
#include "engine/cli/object_option.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "engine/chain/audit.h"
#include "engine/cli/json_options.h"
#include "engine/cli/qemu_opts.h"

namespace instar::cli {

namespace {

// `qemu-img info --object help x` (Debian 12, qemu 7.2).
constexpr std::array<std::string_view, 13> kUserCreatable = {
    "authz-list",     "authz-list-file", "authz-simple",   "main-loop",      "pr-manager-helper",
    "secret",         "secret_keyring",  "thread-context", "throttle-group", "tls-cipher-suites",
    "tls-creds-anon", "tls-creds-psk",   "tls-creds-x509"};

ObjectOptionResult Error(std::string text) {
  return ObjectOptionResult{ObjectOptionResult::Kind::kError, std::move(text)};
}

ObjectOptionResult Help(std::string text) {
  return ObjectOptionResult{ObjectOptionResult::Kind::kHelp, std::move(text)};
}

}  // namespace

ObjectOptionResult ObjectOptions::Add(std::string_view text) {
  std::vector<QemuOpt> props;
  if (text.starts_with("{")) {
    const JsonOptionsParse parse = ParseJsonOptions(text);
    if (!parse.ok) return Error(parse.error);
    for (const JsonOption& option : parse.options) {
      if (option.kind != JsonOption::Kind::kString) {
        return Error("Parameter '" + option.key +
                     "' is not supported by instar with a value "
                     "that is not a string");
      }
      props.push_back({option.key, option.text});
    }
  } else {
    props = ParseQemuOpts(text, "qom-type").options;
  }
  auto find = [&](std::string_view key) -> const std::string* {
    const std::string* found = nullptr;
    for (const QemuOpt& p : props) {
      if (p.key == key) found = &p.value;
    }
    return found;
  };
  const std::string* type = find("qom-type");
  if (type != nullptr && (*type == "help" || *type == "?")) {
    std::string list = "List of user creatable objects:\n";
    for (std::string_view t : kUserCreatable) list += "  " + std::string(t) + "\n";
    return Help(list);
  }
  if (type == nullptr) return Error("Parameter 'qom-type' is missing");
  if (std::find(kUserCreatable.begin(), kUserCreatable.end(), *type) == kUserCreatable.end()) {
    return Error("Parameter 'qom-type' does not accept value '" + *type + "'");
  }
  if (*type != "secret") {
    return Error("object type '" + *type + "' is not supported by instar (docs/invocation.md)");
  }
  if (find("help") != nullptr || find("?") != nullptr) {
    return Help(
        "secret options:\n  data=<string>\n  file=<string>\n  format=<QCryptoSecretFormat>\n"
        "  iv=<string>\n  keyid=<string>\n");
  }
  const std::string* id = find("id");
  if (id == nullptr) return Error("Parameter 'id' is missing");
  if (!IsQemuIdentifier(*id)) {
    return Error(
        "Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, "
        "'-', '.', '_', starting with a letter.");
  }
  for (const QemuOpt& p : props) {
    if (p.key == "qom-type" || p.key == "id" || p.key == "data" || p.key == "file" ||
        p.key == "format") {
      continue;
    }
    if (p.key == "keyid" || p.key == "iv") {
      return Error("secret option '" + p.key + "' is not supported by instar");
    }
    return Error("Parameter '" + p.key + "' is unexpected");
  }
  const std::string* format = find("format");
  if (format != nullptr && *format != "raw" && *format != "base64") {
    return Error("Parameter 'format' does not accept value '" + *format + "'");
  }
  const std::string* data = find("data");
  const std::string* file = find("file");
  if (data != nullptr && file != nullptr) return Error("'file' and 'data' are mutually exclusive");
  if (data == nullptr && file == nullptr) return Error("Either 'file' or 'data' must be provided");
  if (file != nullptr) {
    // qemu reads the secret when the object is created; instar only checks that it can. The
    // caller named this file on the command line: it is no name an image chose.
    chain::audit::Record("open", *file);
    const int fd = ::open(file->c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
      return Error("Unable to read " + *file + ": Failed to open file \u201c" + *file +
                   "\u201d: " + std::strerror(errno));
    }
    ::close(fd);
  }
  if (!ids_.insert(*id).second) {
    return Error("attempt to add duplicate property '" + *id + "' to object (type 'container')");
  }
  return ObjectOptionResult{ObjectOptionResult::Kind::kAccepted, {}};
}

bool TakeObjectOption(ObjectOptions& objects, const char* value, std::optional<std::string>* help,
                      std::string* error) {
  ObjectOptionResult result = objects.Add(value);
  switch (result.kind) {
    case ObjectOptionResult::Kind::kAccepted:
      return true;
    case ObjectOptionResult::Kind::kHelp:
      *help = std::move(result.text);
      return false;
    case ObjectOptionResult::Kind::kError:
      *error = std::move(result.text);
      return false;
  }
  return false;
}

}  // namespace instar::cli
