// Running qemu-img and shell helpers for the live comparison tests.
#include "engine/render/tests/live_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace instar::render::live {

std::optional<std::string> FindQemuImg() {
  CommandResult r = RunShell("command -v qemu-img");
  if (r.status == 0 && !r.out.empty()) {
    if (r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
  if (access("/usr/bin/qemu-img", X_OK) == 0) return std::string("/usr/bin/qemu-img");
  return std::nullopt;
}

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  const std::string full = "LC_ALL=C " + command;
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.out.append(buf, n);
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

ScratchDir::ScratchDir() {
  char tmpl[] = "/tmp/instar-render-XXXXXX";
  if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
}

ScratchDir::~ScratchDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

long long AllocatedBytes(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<long long>(st.st_blocks) * 512;
}

}  // namespace instar::render::live
