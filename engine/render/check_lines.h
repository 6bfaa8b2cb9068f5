// check_lines.h: qemu-img 7.2's `check` diagnostic lines, rendered on the host from codes and
// numbers the guest sends (guest.proto CheckLine).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace instar::render {

// How many numbers the line `code` takes, or -1 when the host has no template for the code
// (unknown to this host, or CHECK_LINE_UNSPECIFIED).
int CheckLineArity(uint64_t code);

// True for the lines that name a snapshot (its id and name, image bytes qemu prints with %s).
bool CheckLineNamesSnapshot(uint64_t code);

// The lines one check reported, validated as they are appended and kept compactly (about the
// size they arrived in: varint code, numbers and length-prefixed names), then rendered from the
// host's templates. No text the guest chose is kept; the only image bytes printed are snapshot
// ids and names where qemu prints them, cut at their first NUL as %s does.
class CheckLines {
 public:
  // The lines of one CheckDiagnostics: each a code followed by exactly its numbers. "" or why
  // the words are malformed (unknown code, a snapshot line, numbers missing).
  std::string AppendWords(std::span<const uint64_t> words);
  // One CheckSnapshotLine. "" or why it is malformed.
  std::string AppendSnapshotLine(uint64_t code, std::string_view id, std::string_view name,
                                 uint64_t value);
  bool empty() const { return compact_.empty(); }
  // Renders every line in order, one call of `out` per template (newline-terminated lines).
  // {prog} in a template (qemu's error_report() prefix) is `program`.
  void Render(const std::function<void(std::string_view)>& out,
              std::string_view program = "qemu-img") const;

 private:
  std::string compact_;
};

}  // namespace instar::render
