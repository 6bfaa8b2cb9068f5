// compare_text.h: qemu-img 7.2's `compare` output (stdout, stderr, exit code) for a guest result.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "guest/abi/guest.pb.h"

namespace instar::render {

struct CompareOutput {
  std::string out;  // stdout (empty with -q: qprintf)
  std::string err;  // stderr (not silenced by -q)
  int exit_code = 0;
};

// img_compare's texts and exit codes: 0 identical, 1 differ, 2 open error, 3 block-status error,
// 4 read error. `filenames` are the two names as given; `error` accompanies the error kinds.
CompareOutput RenderCompare(std::string_view program, const guest::CompareResult& result,
                            const std::optional<guest::Error>& error,
                            const std::string (&filenames)[2], bool quiet);

}  // namespace instar::render
