#include "results/agg/classification.h"

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

namespace {
uint8_t TraitsOf(std::span<const PortOutcome> ports) {
  uint8_t t = 0;
  for (const PortOutcome& p : ports) t |= PortTraitsOf(p);
  return t;
}
}  // namespace

HostClass Classify(std::span<const PortOutcome> plaintext, std::span<const PortOutcome> implicit) {
  return ClassifyTraits(TraitsOf(plaintext), TraitsOf(implicit));
}

bool WithoutTls(Policy policy, HostClass c, std::span<const PortOutcome> plaintext) {
  return WithoutTlsTraits(policy, c, TraitsOf(plaintext));
}

}  // namespace mailsweep::results
