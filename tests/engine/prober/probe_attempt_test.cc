#include "engine/prober/probe_attempt.h"

#include <errno.h>

#include <catch2/catch.hpp>
#include <string>

namespace mailsweep::engine {
namespace {

TEST_CASE("BeginRecordTakesTheTargetsNameOrTheDefaultServerName") {
  results::ProbeRecord r;
  r.banner = "left from an earlier attempt";
  BeginRecord(ProbeTarget{0xC6120001, 993, TargetName("imap.example.org"), 1}, "sni.example", &r);
  CHECK(r.address == 0xC6120001);
  CHECK(r.port == 993);
  CHECK(r.protocol == results::ProtocolForPort(993));
  CHECK(r.tls_mode == results::TlsModeForPort(993));
  CHECK(r.attempts == 2);
  CHECK(r.domain == "imap.example.org");
  CHECK(r.banner.empty());
  BeginRecord(ProbeTarget{0xC6120001, 110}, "sni.example", &r);
  CHECK(r.domain == "sni.example");
  CHECK(r.attempts == 1);
}

TEST_CASE("NextAttemptNamesTheTargetOnlyWhenItsDomainIsNotTheDefault") {
  results::ProbeRecord r;
  BeginRecord(ProbeTarget{0xC6120002, 143, TargetName("mx.example.org")}, "", &r);
  ProbeTarget t = NextAttempt(r, "", 1);
  CHECK(t.address == 0xC6120002);
  CHECK(t.port == 143);
  CHECK(t.attempt == 1);
  REQUIRE(!t.name.empty());
  CHECK(std::string(t.name.get()) == "mx.example.org");
  BeginRecord(ProbeTarget{0xC6120002, 143}, "sni.example", &r);
  CHECK(NextAttempt(r, "sni.example", 1).name.empty());
}

TEST_CASE("ConnectFailureOutcomeTellsUnreachableFromTimeoutRefusedAndReset") {
  using results::ProbeOutcome;
  CHECK(ConnectFailureOutcome(ENETUNREACH) == ProbeOutcome::kUnreachable);
  CHECK(ConnectFailureOutcome(EHOSTUNREACH) == ProbeOutcome::kUnreachable);
  CHECK(ConnectFailureOutcome(ECONNREFUSED) == ProbeOutcome::kConnectRefused);
  CHECK(ConnectFailureOutcome(ECONNRESET) == ProbeOutcome::kConnectionReset);
  CHECK(ConnectFailureOutcome(ETIMEDOUT) == ProbeOutcome::kConnectTimeout);
  CHECK(ConnectFailureOutcome(EACCES) == ProbeOutcome::kConnectTimeout);  // a firewall of ours
  CHECK(std::string(results::OutcomeName(ProbeOutcome::kUnreachable)) == "unreachable");
}

}  // namespace
}  // namespace mailsweep::engine
