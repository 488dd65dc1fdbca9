// Helpers shared by the libFuzzer targets in tests/fuzz/: an invariant check that aborts (so
// libFuzzer reports it as a finding with the input), and a file in memory for the loaders that
// only take a path (checkpoints, MaxMind DB files). Single-threaded, as libFuzzer runs a target.
#ifndef MAILSWEEP_TESTS_FUZZ_FUZZ_UTIL_H_
#define MAILSWEEP_TESTS_FUZZ_FUZZ_UTIL_H_

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mailsweep::fuzz {

// Aborts with `what` on stderr when `ok` is false: a broken invariant is a finding.
inline void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "fuzz invariant broken: %s\n", what);
    abort();
  }
}

// An anonymous in-memory file (memfd) holding the given bytes, named by a /proc/self/fd path.
class MemoryFile {
 public:
  MemoryFile(const uint8_t* data, size_t size) : fd_(memfd_create("fuzz", 0)) {
    Check(fd_ >= 0, "memfd_create");
    for (size_t done = 0; done < size;) {
      ssize_t n = write(fd_, data + done, size - done);
      Check(n > 0, "write to memfd");
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

}  // namespace mailsweep::fuzz

#endif  // MAILSWEEP_TESTS_FUZZ_FUZZ_UTIL_H_
