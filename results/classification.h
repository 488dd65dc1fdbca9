// The classification policy of mailsweep-agg: what one host offers for one protocol, from the
// probe outcomes of its related ports (POP3 110 + 995, IMAP 143 + 993, SMTP 25/587 + 465), and
// which hosts count as "without TLS". Pure functions over small values; thread-safe.
//
// Classes (fixed, whatever the policy):
//   starttls               the plaintext port answers the protocol and STARTTLS/STLS works there
//   plaintext_and_implicit the plaintext port answers, STARTTLS does not work, implicit TLS does
//   no_tls                 the plaintext port answers; STARTTLS not advertised, refused or
//                          failed; the implicit-TLS port not working
//   implicit_only          the plaintext port does not answer the protocol; implicit TLS works
//   no_service             probed, but neither answers (refused, timeouts, other protocol, ...)
// Policies ("without TLS" = which hosts are counted and listed as vulnerable):
//   shadowserver (default) class no_tls: no working TLS is reachable for the protocol
//   no-starttls            no_tls + plaintext_and_implicit: the plaintext port has no working TLS
//   plaintext-login        the plaintext port offers a plaintext login before TLS (POP3 USER /
//                          SASL PLAIN|LOGIN, IMAP without LOGINDISABLED, SMTP AUTH PLAIN|LOGIN),
//                          whether or not STARTTLS would work
//
// Example:
//   PortOutcome plain{true, ProbeOutcome::kPlaintextOnly, 0}, implicit{};
//   HostClass c = Classify({&plain, 1}, {&implicit, 1});        // HostClass::kNoTls
#ifndef MAILSWEEP_RESULTS_CLASSIFICATION_H_
#define MAILSWEEP_RESULTS_CLASSIFICATION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "results/records.h"

namespace mailsweep::results {

enum class HostClass : uint8_t {
  kStartTls = 0,
  kPlaintextAndImplicit = 1,
  kNoTls = 2,
  kImplicitOnly = 3,
  kNoService = 4,
};
constexpr int kHostClassCount = 5;
const char* HostClassName(HostClass c);  // "starttls", ...

enum class Policy : uint8_t {
  kShadowServer = 0,
  kNoStartTls = 1,
  kPlaintextLogin = 2,
};
const char* PolicyName(Policy p);
std::optional<Policy> ParsePolicy(std::string_view name);
const char* PolicyDescription(Policy p);

// What the prober found on one port (present = a probe record exists).
struct PortOutcome {
  bool present = false;
  ProbeOutcome outcome = ProbeOutcome::kNoGreeting;
  uint32_t flags = 0;
};

// True when the port's conversation shows a server of the expected protocol.
inline bool AnswersProtocol(const PortOutcome& p) {
  if (!p.present) return false;
  switch (p.outcome) {
    case ProbeOutcome::kPlaintextOnly:
    case ProbeOutcome::kStartTlsRefused:
    case ProbeOutcome::kStartTlsHandshakeFailed:
    case ProbeOutcome::kStartTlsOk:
    case ProbeOutcome::kPreauth:
      return true;
    case ProbeOutcome::kIoTimeout:
    case ProbeOutcome::kProtocolError:
    case ProbeOutcome::kConnectionReset:
      // Ended after the greeting: a server of the protocol if it got as far as capabilities.
      return (p.flags & kCapabilitiesRead) != 0;
    default:
      return false;
  }
}
inline bool StartTlsWorks(const PortOutcome& p) {
  return p.present && p.outcome == ProbeOutcome::kStartTlsOk;
}
inline bool ImplicitTlsWorks(const PortOutcome& p) {
  return p.present && p.outcome == ProbeOutcome::kImplicitTlsOk;
}

// `plaintext`: the protocol's plaintext ports (110 | 143 | 25, 587); `implicit`: 995 | 993 | 465.
HostClass Classify(std::span<const PortOutcome> plaintext, std::span<const PortOutcome> implicit);
bool WithoutTls(Policy policy, HostClass c, std::span<const PortOutcome> plaintext);

// The same decisions from a port's traits, bits that say all the above need of one probe: the
// roll-up computes them once per record and ORs them per protocol. Classify and WithoutTls
// above are these over PortTraitsOf.
enum PortTrait : uint8_t {
  kTraitAnswers = 1,         // AnswersProtocol
  kTraitStartTls = 2,        // StartTlsWorks
  kTraitImplicitTls = 4,     // ImplicitTlsWorks
  kTraitPlaintextLogin = 8,  // answers and offers a plaintext login (kPlaintextLoginOffered)
};
inline uint8_t PortTraitsOf(const PortOutcome& p) {  // 0 when absent
  if (!p.present) return 0;
  uint8_t t = 0;
  if (AnswersProtocol(p)) {
    t |= kTraitAnswers;
    if (p.flags & kPlaintextLoginOffered) t |= kTraitPlaintextLogin;
  }
  if (StartTlsWorks(p)) t |= kTraitStartTls;
  if (ImplicitTlsWorks(p)) t |= kTraitImplicitTls;
  return t;
}
// `plaintext`/`implicit`: the OR of the traits of the protocol's plaintext / implicit-TLS ports.
inline HostClass ClassifyTraits(uint8_t plaintext, uint8_t implicit) {
  const bool implicit_ok = (implicit & kTraitImplicitTls) != 0;
  if (plaintext & kTraitAnswers) {
    if (plaintext & kTraitStartTls) return HostClass::kStartTls;
    return implicit_ok ? HostClass::kPlaintextAndImplicit : HostClass::kNoTls;
  }
  return implicit_ok ? HostClass::kImplicitOnly : HostClass::kNoService;
}
inline bool WithoutTlsTraits(Policy policy, HostClass c, uint8_t plaintext) {
  switch (policy) {
    case Policy::kShadowServer:
      return c == HostClass::kNoTls;
    case Policy::kNoStartTls:
      return c == HostClass::kNoTls || c == HostClass::kPlaintextAndImplicit;
    case Policy::kPlaintextLogin:
      return (plaintext & kTraitPlaintextLogin) != 0;
  }
  return false;
}

// The mail protocols mailsweep-agg rolls up, their ports, and a dense index of those ports.
constexpr int kMailProtocols = 3;  // pop3, imap, smtp: index = Protocol value - 1
constexpr int kMailPorts = 7;
constexpr uint16_t kMailPortNumbers[kMailPorts] = {110, 995, 143, 993, 25, 587, 465};
// Slot of a port in kMailPortNumbers, or -1.
inline int MailPortSlot(uint16_t port) {
  switch (port) {
    case 110:
      return 0;
    case 995:
      return 1;
    case 143:
      return 2;
    case 993:
      return 3;
    case 25:
      return 4;
    case 587:
      return 5;
    case 465:
      return 6;
    default:
      return -1;
  }
}
// Slots [first, first + n_plain) are plaintext, then n_implicit implicit, per protocol index.
struct ProtocolSlots {
  int first, n_plain, n_implicit;
};
constexpr ProtocolSlots kProtocolSlots[kMailProtocols] = {{0, 1, 1}, {2, 1, 1}, {4, 2, 1}};
inline int ProtocolIndexOfSlot(int slot) { return slot < 2 ? 0 : slot < 4 ? 1 : 2; }

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_CLASSIFICATION_H_
