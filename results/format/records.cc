#include "results/format/records.h"

namespace mailsweep::results {

Protocol ProtocolForPort(uint16_t port) {
  switch (port) {
    case 110:
    case 995:
      return Protocol::kPop3;
    case 143:
    case 993:
      return Protocol::kImap;
    case 25:
    case 465:
    case 587:
      return Protocol::kSmtp;
    default:
      return Protocol::kUnknown;
  }
}

TlsMode TlsModeForPort(uint16_t port) {
  return (port == 993 || port == 995 || port == 465) ? TlsMode::kImplicit : TlsMode::kStartTls;
}

const char* ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kPop3:
      return "pop3";
    case Protocol::kImap:
      return "imap";
    case Protocol::kSmtp:
      return "smtp";
    case Protocol::kUnknown:
      break;
  }
  return "unknown";
}

const char* OutcomeName(ProbeOutcome o) {
  switch (o) {
    case ProbeOutcome::kConnectRefused:
      return "connect_refused";
    case ProbeOutcome::kConnectTimeout:
      return "connect_timeout";
    case ProbeOutcome::kNoGreeting:
      return "no_greeting";
    case ProbeOutcome::kNotThisProtocol:
      return "not_this_protocol";
    case ProbeOutcome::kServiceUnavailable:
      return "service_unavailable";
    case ProbeOutcome::kPlaintextOnly:
      return "plaintext_only";
    case ProbeOutcome::kStartTlsRefused:
      return "starttls_refused";
    case ProbeOutcome::kStartTlsHandshakeFailed:
      return "starttls_handshake_failed";
    case ProbeOutcome::kStartTlsOk:
      return "starttls_ok";
    case ProbeOutcome::kImplicitTlsOk:
      return "implicit_tls_ok";
    case ProbeOutcome::kImplicitTlsFailed:
      return "implicit_tls_failed";
    case ProbeOutcome::kIoTimeout:
      return "io_timeout";
    case ProbeOutcome::kProtocolError:
      return "protocol_error";
    case ProbeOutcome::kConnectionReset:
      return "connection_reset";
    case ProbeOutcome::kPreauth:
      return "preauth";
    case ProbeOutcome::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

const char* SweepStatusName(SweepStatus s) {
  switch (s) {
    case SweepStatus::kOpen:
      return "open";
    case SweepStatus::kClosed:
      return "closed";
    case SweepStatus::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

const char* TlsVersionName(uint16_t version) {
  switch (version) {
    case 0:
      return "";
    case 0x0300:
      return "SSLv3";
    case 0x0301:
      return "TLSv1.0";
    case 0x0302:
      return "TLSv1.1";
    case 0x0303:
      return "TLSv1.2";
    case 0x0304:
      return "TLSv1.3";
    case 0xffff:
      return "other";
    default:
      return "unknown";
  }
}

}  // namespace mailsweep::results
