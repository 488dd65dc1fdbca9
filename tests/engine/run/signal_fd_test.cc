#include "engine/run/signal_fd.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

namespace mailsweep::engine {
namespace {

TEST_CASE("SignalFd turns SIGTERM sent to the process into a readable event") {
  SignalFd signals;
  REQUIRE(signals.fd() >= 0);
  CHECK_FALSE(signals.Wait(0).has_value());
  // A thread started after the SignalFd inherits the blocked mask, so the signal waits for us.
  std::thread sender([] { kill(getpid(), SIGTERM); });
  sender.join();
  std::optional<int> sig = signals.Wait(5000);
  REQUIRE(sig.has_value());
  CHECK(*sig == SIGTERM);
  CHECK_FALSE(signals.Wait(0).has_value());
}

TEST_CASE("A SIGHUP left pending when the SignalFd goes does not end the process") {
  {
    SignalFd signals;
    kill(getpid(), SIGHUP);  // blocked: pending, not read
  }
  // Still here (the default action would have ended the test binary), and a later one too.
  struct sigaction now {};
  REQUIRE(sigaction(SIGHUP, nullptr, &now) == 0);
  CHECK(now.sa_handler == SIG_IGN);
  kill(getpid(), SIGHUP);
  signal(SIGHUP, SIG_DFL);
  SUCCEED("survived SIGHUP after the run");
}

}  // namespace
}  // namespace mailsweep::engine
