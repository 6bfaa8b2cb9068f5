// kvm_test_support.cc: temporary files for guest ELFs and device images.
#include "engine/vmm/tests/kvm_test_support.h"

#include <unistd.h>

namespace instar::vmm::testing {

TempFile::TempFile(const std::vector<uint8_t>& bytes) {
  const char* dir = std::getenv("TMPDIR");
  std::string templ = std::string(dir != nullptr ? dir : "/tmp") + "/instar-vmm-test-XXXXXX";
  const int fd = mkstemp(templ.data());
  if (fd < 0) std::abort();
  path_ = templ;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  close(fd);
}

TempFile::~TempFile() {
  unlink(path_.c_str());
}

}  // namespace instar::vmm::testing
