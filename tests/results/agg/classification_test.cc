// results/agg/classification.h: the classes, the policies, the port traits and the mail port
// slots, each against the predicates or every input.
#include "results/agg/classification.h"

#include <catch2/catch.hpp>

namespace mailsweep::results {
namespace {

PortOutcome Port(ProbeOutcome o, uint32_t flags = 0) { return {true, o, flags}; }
const PortOutcome kAbsent{};

TEST_CASE("classification: the ShadowServer-like classes") {
  PortOutcome plain = Port(ProbeOutcome::kPlaintextOnly);
  PortOutcome starttls = Port(ProbeOutcome::kStartTlsOk);
  PortOutcome refused = Port(ProbeOutcome::kStartTlsRefused);
  PortOutcome failed = Port(ProbeOutcome::kStartTlsHandshakeFailed);
  PortOutcome implicit_ok = Port(ProbeOutcome::kImplicitTlsOk);
  PortOutcome implicit_bad = Port(ProbeOutcome::kImplicitTlsFailed);
  PortOutcome rst = Port(ProbeOutcome::kConnectRefused);
  auto C = [](PortOutcome a, PortOutcome b) { return Classify({&a, 1}, {&b, 1}); };
  CHECK(C(plain, kAbsent) == HostClass::kNoTls);
  CHECK(C(plain, rst) == HostClass::kNoTls);
  CHECK(C(plain, implicit_bad) == HostClass::kNoTls);
  CHECK(C(refused, rst) == HostClass::kNoTls);
  CHECK(C(failed, rst) == HostClass::kNoTls);
  CHECK(C(plain, implicit_ok) == HostClass::kPlaintextAndImplicit);
  CHECK(C(starttls, rst) == HostClass::kStartTls);
  CHECK(C(starttls, implicit_ok) == HostClass::kStartTls);
  CHECK(C(rst, implicit_ok) == HostClass::kImplicitOnly);
  CHECK(C(kAbsent, implicit_ok) == HostClass::kImplicitOnly);
  CHECK(C(rst, rst) == HostClass::kNoService);
  CHECK(C(Port(ProbeOutcome::kNotThisProtocol), implicit_bad) == HostClass::kNoService);
  CHECK(C(Port(ProbeOutcome::kPreauth), rst) == HostClass::kNoTls);
  // Unreachable, or an outcome newer than this reader: a port that never answered.
  CHECK(C(Port(ProbeOutcome::kUnreachable), implicit_ok) == HostClass::kImplicitOnly);
  CHECK(C(Port(static_cast<ProbeOutcome>(200)), rst) == HostClass::kNoService);
  // Ended after the greeting: a server of the protocol only when capabilities were read.
  CHECK(C(Port(ProbeOutcome::kIoTimeout), rst) == HostClass::kNoService);
  CHECK(C(Port(ProbeOutcome::kIoTimeout, kCapabilitiesRead), rst) == HostClass::kNoTls);
  // SMTP: 25 plain without STARTTLS, 587 with working STARTTLS -> TLS is reachable.
  PortOutcome smtp_plain[2] = {plain, starttls};
  CHECK(Classify(smtp_plain, {&rst, 1}) == HostClass::kStartTls);
}

TEST_CASE("classification: policies decide who is without TLS") {
  PortOutcome plain_login = Port(ProbeOutcome::kPlaintextOnly, kPlaintextLoginOffered);
  PortOutcome starttls_login = Port(ProbeOutcome::kStartTlsOk, kPlaintextLoginOffered);
  PortOutcome starttls = Port(ProbeOutcome::kStartTlsOk);
  CHECK(WithoutTls(Policy::kShadowServer, HostClass::kNoTls, {&plain_login, 1}));
  CHECK_FALSE(
      WithoutTls(Policy::kShadowServer, HostClass::kPlaintextAndImplicit, {&plain_login, 1}));
  CHECK(WithoutTls(Policy::kNoStartTls, HostClass::kPlaintextAndImplicit, {&plain_login, 1}));
  CHECK_FALSE(WithoutTls(Policy::kNoStartTls, HostClass::kStartTls, {&starttls_login, 1}));
  CHECK(WithoutTls(Policy::kPlaintextLogin, HostClass::kStartTls, {&starttls_login, 1}));
  CHECK_FALSE(WithoutTls(Policy::kPlaintextLogin, HostClass::kStartTls, {&starttls, 1}));
  CHECK(ParsePolicy("shadowserver") == Policy::kShadowServer);
  CHECK(ParsePolicy("plaintext-login") == Policy::kPlaintextLogin);
  CHECK_FALSE(ParsePolicy("nope").has_value());
}

TEST_CASE("classification: table-driven port traits equal the predicates for every outcome") {
  const uint32_t flag_sets[] = {0,
                                kCapabilitiesRead,
                                kPlaintextLoginOffered,
                                kCapabilitiesRead | kPlaintextLoginOffered,
                                kStartTlsAdvertised | kTlsHandshakeOk,
                                0xffffffffu,
                                0xffffffffu & ~uint32_t{kCapabilitiesRead}};
  for (int o = 0; o < 256; ++o) {
    for (uint32_t flags : flag_sets) {
      for (bool present : {true, false}) {
        CAPTURE(o, flags, present);
        const PortOutcome p{present, static_cast<ProbeOutcome>(o), flags};
        uint8_t want = 0;
        if (AnswersProtocol(p)) {
          want |= kTraitAnswers;
          if (flags & kPlaintextLoginOffered) want |= kTraitPlaintextLogin;
        }
        if (StartTlsWorks(p)) want |= kTraitStartTls;
        if (ImplicitTlsWorks(p)) want |= kTraitImplicitTls;
        REQUIRE(int{PortTraitsOf(p)} == int{want});
      }
    }
  }
  // Spot checks that the predicates themselves are what the table was built from.
  CHECK(PortTraitsOf({true, ProbeOutcome::kStartTlsOk, kPlaintextLoginOffered}) ==
        (kTraitAnswers | kTraitStartTls | kTraitPlaintextLogin));
  CHECK(PortTraitsOf({true, ProbeOutcome::kIoTimeout, 0}) == 0);
  CHECK(PortTraitsOf({true, ProbeOutcome::kIoTimeout, kCapabilitiesRead}) == kTraitAnswers);
  CHECK(PortTraitsOf({true, ProbeOutcome::kImplicitTlsOk, 0}) == kTraitImplicitTls);
}

TEST_CASE("classification: mail port slots and their protocols, for every port") {
  for (uint32_t port = 0; port <= 0xffff; ++port) {
    int want = -1;
    for (int s = 0; s < kMailPorts; ++s) {
      if (kMailPortNumbers[s] == port) want = s;
    }
    REQUIRE(MailPortSlot(static_cast<uint16_t>(port)) == want);
  }
  for (int proto = 0; proto < kMailProtocols; ++proto) {
    const ProtocolSlots ps = kProtocolSlots[proto];
    for (int s = ps.first; s < ps.first + ps.n_plain + ps.n_implicit; ++s) {
      CHECK(ProtocolIndexOfSlot(s) == proto);
    }
  }
  CHECK(MailPortSlot(110) == 0);
  CHECK(MailPortSlot(465) == 6);
  CHECK(MailPortSlot(110 + 32) == -1);
}

}  // namespace
}  // namespace mailsweep::results
