#include "results/classification.h"

namespace mailsweep::results {

const char* HostClassName(HostClass c) {
  switch (c) {
    case HostClass::kStartTls:
      return "starttls";
    case HostClass::kPlaintextAndImplicit:
      return "plaintext_and_implicit";
    case HostClass::kNoTls:
      return "no_tls";
    case HostClass::kImplicitOnly:
      return "implicit_only";
    case HostClass::kNoService:
      return "no_service";
  }
  return "unknown";
}

const char* PolicyName(Policy p) {
  switch (p) {
    case Policy::kShadowServer:
      return "shadowserver";
    case Policy::kNoStartTls:
      return "no-starttls";
    case Policy::kPlaintextLogin:
      return "plaintext-login";
  }
  return "unknown";
}

const char* PolicyDescription(Policy p) {
  switch (p) {
    case Policy::kShadowServer:
      return "the plaintext port answers the protocol and no working TLS is reachable for it "
             "(STARTTLS not advertised, refused or failed; implicit-TLS port not working)";
    case Policy::kNoStartTls:
      return "the plaintext port answers the protocol and STARTTLS does not work there "
             "(implicit TLS on the other port is ignored)";
    case Policy::kPlaintextLogin:
      return "the plaintext port offers a plaintext login before TLS (POP3 USER or SASL "
             "PLAIN/LOGIN, IMAP without LOGINDISABLED, SMTP AUTH PLAIN/LOGIN)";
  }
  return "";
}

std::optional<Policy> ParsePolicy(std::string_view name) {
  for (Policy p : {Policy::kShadowServer, Policy::kNoStartTls, Policy::kPlaintextLogin}) {
    if (name == PolicyName(p)) return p;
  }
  return std::nullopt;
}

bool AnswersProtocol(const PortOutcome& p) {
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

bool StartTlsWorks(const PortOutcome& p) {
  return p.present && p.outcome == ProbeOutcome::kStartTlsOk;
}

bool ImplicitTlsWorks(const PortOutcome& p) {
  return p.present && p.outcome == ProbeOutcome::kImplicitTlsOk;
}

HostClass Classify(std::span<const PortOutcome> plaintext, std::span<const PortOutcome> implicit) {
  bool answers = false, starttls = false, implicit_ok = false;
  for (const PortOutcome& p : plaintext) {
    answers |= AnswersProtocol(p);
    starttls |= StartTlsWorks(p);
  }
  for (const PortOutcome& p : implicit) implicit_ok |= ImplicitTlsWorks(p);
  if (answers) {
    if (starttls) return HostClass::kStartTls;
    return implicit_ok ? HostClass::kPlaintextAndImplicit : HostClass::kNoTls;
  }
  return implicit_ok ? HostClass::kImplicitOnly : HostClass::kNoService;
}

bool WithoutTls(Policy policy, HostClass c, std::span<const PortOutcome> plaintext) {
  switch (policy) {
    case Policy::kShadowServer:
      return c == HostClass::kNoTls;
    case Policy::kNoStartTls:
      return c == HostClass::kNoTls || c == HostClass::kPlaintextAndImplicit;
    case Policy::kPlaintextLogin:
      for (const PortOutcome& p : plaintext) {
        if (AnswersProtocol(p) && (p.flags & kPlaintextLoginOffered)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace mailsweep::results
