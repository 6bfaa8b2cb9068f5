// Test support for comparing against the real qemu-img: find it, run commands, scratch dirs.
#pragma once

#include <optional>
#include <string>

namespace instar::render::live {

// The qemu-img on PATH (or /usr/bin/qemu-img), or nullopt when none is installed.
std::optional<std::string> FindQemuImg();

struct CommandResult {
  int status = -1;  // exit code, or -1 if it did not exit normally
  std::string out;  // stdout only
};

// Runs `command` through /bin/sh with LC_ALL=C, capturing stdout.
CommandResult RunShell(const std::string& command);

// Single-quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s);

// A mkdtemp directory removed (recursively) when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// st_blocks * 512 of `path` (what qemu reports as disk size), or -1.
long long AllocatedBytes(const std::string& path);

}  // namespace instar::render::live
