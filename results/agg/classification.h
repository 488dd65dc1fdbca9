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
#ifndef MAILSWEEP_RESULTS_AGG_CLASSIFICATION_H_
#define MAILSWEEP_RESULTS_AGG_CLASSIFICATION_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "results/format/records.h"

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
constexpr bool AnswersProtocol(const PortOutcome& p) {
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
constexpr bool StartTlsWorks(const PortOutcome& p) {
  return p.present && p.outcome == ProbeOutcome::kStartTlsOk;
}
constexpr bool ImplicitTlsWorks(const PortOutcome& p) {
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
namespace internal {
// kTraitTable[flag_bits][outcome]: the traits of a present port whose flags hold
// kCapabilitiesRead (flag_bits bit 1) and kPlaintextLoginOffered (bit 0) or not, the only flags
// the predicates above and kTraitPlaintextLogin look at. Built from them, so the rule stays in
// one place, and read without a branch on the outcome or the flags (the roll-up's hot loop:
// outcomes come in no predictable order).
constexpr std::array<std::array<uint8_t, 256>, 4> MakeTraitTable() {
  static_assert(kCapabilitiesRead == 1u << 10 && kPlaintextLoginOffered == 1u << 3,
                "TraitIndex's shifts");
  std::array<std::array<uint8_t, 256>, 4> table{};
  for (int bits = 0; bits < 4; ++bits) {
    for (int o = 0; o < 256; ++o) {
      const PortOutcome p{true, static_cast<ProbeOutcome>(o), bits & 2 ? kCapabilitiesRead : 0u};
      const bool answers = AnswersProtocol(p);
      table[bits][o] = static_cast<uint8_t>(
          (answers ? kTraitAnswers : 0) | (StartTlsWorks(p) ? kTraitStartTls : 0) |
          (ImplicitTlsWorks(p) ? kTraitImplicitTls : 0) |
          (answers && (bits & 1) != 0 ? kTraitPlaintextLogin : 0));
    }
  }
  return table;
}
inline constexpr auto kTraitTable = MakeTraitTable();
inline unsigned TraitIndex(uint32_t flags) { return (flags >> 9 & 2) | (flags >> 3 & 1); }
}  // namespace internal

// 0 when absent.
inline uint8_t PortTraitsOf(const PortOutcome& p) {
  const uint8_t t =
      internal::kTraitTable[internal::TraitIndex(p.flags)][static_cast<uint8_t>(p.outcome)];
  return p.present ? t : 0;
}
constexpr HostClass ClassifyTraits(uint8_t plaintext, uint8_t implicit) {
  const bool implicit_ok = (implicit & kTraitImplicitTls) != 0;
  if (plaintext & kTraitAnswers) {
    if (plaintext & kTraitStartTls) return HostClass::kStartTls;
    return implicit_ok ? HostClass::kPlaintextAndImplicit : HostClass::kNoTls;
  }
  return implicit_ok ? HostClass::kImplicitOnly : HostClass::kNoService;
}
constexpr bool WithoutTlsTraits(Policy policy, HostClass c, uint8_t plaintext) {
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
namespace internal {
// The mail ports differ in their low 5 bits: kPortSlots[port & 31] is the only candidate.
struct PortSlot {
  uint16_t port;
  int8_t slot;
};
constexpr std::array<PortSlot, 32> MakePortSlots() {
  std::array<PortSlot, 32> table{};
  for (auto& e : table) e = {0, -1};
  for (int s = 0; s < kMailPorts; ++s) {
    PortSlot& e = table[kMailPortNumbers[s] & 31];
    if (e.slot >= 0) throw "two mail ports share their low 5 bits";  // fails the build
    e = {kMailPortNumbers[s], static_cast<int8_t>(s)};
  }
  return table;
}
inline constexpr auto kPortSlots = MakePortSlots();
}  // namespace internal

// Slot of a port in kMailPortNumbers, or -1. Without a branch on the port.
inline int MailPortSlot(uint16_t port) {
  const internal::PortSlot& e = internal::kPortSlots[port & 31];
  return e.port == port ? e.slot : -1;
}
// Slots [first, first + n_plain) are plaintext, then n_implicit implicit, per protocol index.
struct ProtocolSlots {
  int first, n_plain, n_implicit;
};
constexpr ProtocolSlots kProtocolSlots[kMailProtocols] = {{0, 1, 1}, {2, 1, 1}, {4, 2, 1}};
inline int ProtocolIndexOfSlot(int slot) {
  static constexpr int8_t kProtocolOfSlot[kMailPorts] = {0, 0, 1, 1, 2, 2, 2};
  return kProtocolOfSlot[slot];
}

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_CLASSIFICATION_H_
