// UniqueFd: owns one file descriptor and closes it when it goes. Move-only; -1 means none.
// Used wherever a function opens a socket or a kernel object and has several ways out (the
// sweeper's netlink route lookups, the lab's BPF objects). Not thread-safe: one owner.
//
// Example:
//   UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
//   if (fd.get() < 0) return Errno("netlink socket", errno);
#ifndef MAILSWEEP_BASE_UNIQUE_FD_H_
#define MAILSWEEP_BASE_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace mailsweep {

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) close(fd_);
  }

  int get() const { return fd_; }
  // Gives the descriptor up to the caller, who closes it.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace mailsweep

#endif  // MAILSWEEP_BASE_UNIQUE_FD_H_
