// diagnostics.h: qemu-style error reporting with the invocation name as prefix.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace instar::cli {

class Diagnostics {
 public:
  explicit Diagnostics(std::string program) : program_(std::move(program)) {}
  const std::string& program() const { return program_; }

  // "<program>: <message>\n" on stderr (qemu's error_report).
  void error(std::string_view message) const;
  // error() plus "Try '<program> --help' for more information"; returns exit code 1 (error_exit).
  [[nodiscard]] int usage_error(std::string_view message) const;

 private:
  std::string program_;
};

// `text` as it is on `stream`, flushed at once: commands that print progress on stdout and
// messages on stderr keep the order qemu-img gives them.
void put(std::FILE* stream, std::string_view text);

}  // namespace instar::cli
