// qemu_img.cc: companion files and command running for the oracle property and imagegen.
#include "property-tests/support/qemu_img.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace instar::props {

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_image_files(const Model& m, const WrittenImage& w, const std::string& dir,
                       const std::string& image_name) {
  write_file(dir + "/" + image_name, w.bytes);
  if (m.data_file) {
    // Sparse: only the extents are written, the size set with resize_file.
    const std::string path = dir + "/" + *m.data_file;
    write_file(path, {});
    std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
    for (const DataExtent& e : w.data_file) {
      out.seekp(static_cast<std::streamoff>(e.offset));
      out.write(reinterpret_cast<const char*>(e.bytes.data()),
                static_cast<std::streamsize>(e.bytes.size()));
    }
    out.close();
    std::filesystem::resize_file(path, w.data_file_size);
  }
  if (m.backing_file) {
    std::vector<uint8_t> backing(1u << 20);
    if (m.backing_format && *m.backing_format == "qcow2") {
      Model base;
      base.virtual_size = 1u << 20;
      backing = write_image(normalize(base)).bytes;
    }
    write_file(dir + "/" + *m.backing_file, backing);
  }
}

std::string make_temp_dir() {
  const char* base = getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/instar-props-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void remove_tree(const std::string& dir) {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace instar::props
