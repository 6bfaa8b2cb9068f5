// guest_stream_replay.cc: a fake, compromised process-backend guest for the instar binary's
// tests. Installed as "instar-guest-process" next to a copy of instar, it writes the bytes of
// "guest-stream-<op>" (the op number of its OpConfig; "guest-stream" when there is none such) in
// its own directory to the message fd, as a guest that an image took over could: whatever
// frames, messages and text the test put there.
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "guest/abi/abi.h"

// The op the host asked for: OpConfig.op, after BootInfo on the boot fd. 0 when unreadable.
uint32_t requested_op() {
  uint8_t blob[sizeof(instar::abi::BootInfo) + sizeof(instar::abi::OpConfig)];
  size_t have = 0;
  while (have < sizeof blob) {
    const ssize_t got = read(instar::abi::kProcessBootFd, blob + have, sizeof blob - have);
    if (got <= 0) return 0;
    have += static_cast<size_t>(got);
  }
  instar::abi::OpConfig op;
  std::memcpy(&op, blob + sizeof(instar::abi::BootInfo), sizeof op);
  return op.op;
}

int main() {
  const uint32_t op = requested_op();
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 90;
  self[n] = '\0';
  char* slash = std::strrchr(self, '/');
  if (slash == nullptr || (slash - self) + sizeof "/guest-stream-4294967295" > sizeof self) {
    return 91;
  }
  std::snprintf(slash, sizeof "/guest-stream-4294967295", "/guest-stream-%u", op);
  int stream = open(self, O_RDONLY | O_CLOEXEC);
  if (stream < 0) {
    std::strcpy(slash, "/guest-stream");
    stream = open(self, O_RDONLY | O_CLOEXEC);
  }
  if (stream < 0) return 92;
  static char buffer[1 << 16];
  for (;;) {
    const ssize_t got = read(stream, buffer, sizeof buffer);
    if (got < 0) return 93;
    if (got == 0) break;
    for (ssize_t done = 0; done < got;) {
      const ssize_t put =
          write(instar::abi::kProcessMessageFd, buffer + done, static_cast<size_t>(got - done));
      if (put <= 0) return 0;  // the host stopped reading: it refused the stream
      done += put;
    }
  }
  return 0;
}
