// guest_stream_replay.cc: a fake, compromised process-backend guest for the instar binary's
// tests. Installed as "instar-guest-process" next to a copy of instar, it ignores its op and
// writes the bytes of "guest-stream" (in its own directory) to the message fd, as a guest
// that an image took over could: whatever frames, messages and text the test put there.
#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "guest/abi/abi.h"

int main() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 90;
  self[n] = '\0';
  char* slash = std::strrchr(self, '/');
  if (slash == nullptr || (slash - self) + sizeof "/guest-stream" > sizeof self) return 91;
  std::strcpy(slash, "/guest-stream");
  const int stream = open(self, O_RDONLY | O_CLOEXEC);
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
