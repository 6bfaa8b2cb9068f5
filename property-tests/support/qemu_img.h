// qemu_img.h: puts a written image and its companion files in a directory and runs commands
// (qemu-img) on it.
#pragma once

#include <string>

#include "property-tests/model/model.h"
#include "property-tests/writer/qcow2_writer.h"

namespace instar::props {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` under /bin/sh with stderr folded into stdout.
CommandResult run_command(const std::string& command);

void write_file(const std::string& path, const std::vector<uint8_t>& bytes);

// Writes `dir`/`image_name` and what qemu opens with it: the external data file and a backing
// file of the model's backing format (raw, or a small qcow2 made by this writer), both named
// relative to `dir` as qemu resolves them when run with `dir` as working directory.
void write_image_files(const Model& m, const WrittenImage& w, const std::string& dir,
                       const std::string& image_name);

// A fresh directory under $TMPDIR (or /tmp); remove_tree deletes it again.
std::string make_temp_dir();
void remove_tree(const std::string& dir);

}  // namespace instar::props
