// The in-memory records every stage produces and the record files store: one SweepRecord per
// responding (address, port) from the sweeper, one ProbeRecord per probed (address, port) from the
// prober pool, and the FileHeader that describes a run. This header is the contract between
// engine/ and probes/ (who fill records) and results/ (who encode, store and aggregate them);
// results/format/FORMAT.md specifies their encoding on disk. Plain value types; no thread rules.
//
// Enum values are part of the file format: never renumber, only append.
#ifndef MAILSWEEP_RESULTS_FORMAT_RECORDS_H_
#define MAILSWEEP_RESULTS_FORMAT_RECORDS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailsweep::results {

// What a SYN drew.
enum class SweepStatus : uint8_t {
  kOpen = 1,         // SYN-ACK with the right acknowledgement number
  kClosed = 2,       // RST
  kUnreachable = 3,  // ICMP destination unreachable about our probe
};

struct SweepRecord {
  uint32_t address = 0;  // host order
  uint16_t port = 0;
  SweepStatus status = SweepStatus::kOpen;
  uint8_t ttl = 0;      // IP TTL of the reply
  uint16_t window = 0;  // TCP window of the reply (0 for ICMP)
  int64_t time_us = 0;  // reply capture time, Unix microseconds

  friend bool operator==(const SweepRecord&, const SweepRecord&) = default;
};

enum class Protocol : uint8_t {
  kUnknown = 0,
  kPop3 = 1,
  kImap = 2,
  kSmtp = 3,
};

// How TLS is reached on a port: 110/143/25/587 use STARTTLS/STLS, 995/993/465 start with TLS.
enum class TlsMode : uint8_t {
  kStartTls = 0,
  kImplicit = 1,
};

// One outcome per probe: where the conversation ended. Facts gathered on the way (capabilities,
// TLS) are in the record's other fields; a failed target is a result, not an error.
enum class ProbeOutcome : uint8_t {
  kConnectRefused = 1,           // RST to our SYN
  kConnectTimeout = 2,           // no answer to our SYN within the connect deadline
  kNoGreeting = 3,               // connected, but no complete greeting before the read deadline
  kNotThisProtocol = 4,          // the greeting is not POP3/IMAP/SMTP as the port implies
  kServiceUnavailable = 5,       // the server refuses service before TLS: a refusing greeting
                                 // (POP3 -ERR, IMAP BYE, SMTP 4xx/5xx), SMTP 421 to any command
                                 // or 4xx/5xx to EHLO/HELO, IMAP BYE later, POP3 -ERR [SYS/...]
  kPlaintextOnly = 6,            // talked the protocol; no STARTTLS/STLS advertised (or tried)
  kStartTlsRefused = 7,          // STARTTLS/STLS sent, server answered with an error
  kStartTlsHandshakeFailed = 8,  // server accepted STARTTLS, TLS handshake failed
  kStartTlsOk = 9,               // STARTTLS handshake completed
  kImplicitTlsOk = 10,           // 993/995/465: TLS handshake completed
  kImplicitTlsFailed = 11,       // 993/995/465: TLS handshake failed
  kIoTimeout = 12,               // a later read timed out (after the greeting)
  kProtocolError = 13,           // reply malformed, too long, or connection closed mid-reply
  kConnectionReset = 14,         // RST or close after connecting, outside a reply
  kPreauth = 15,                 // IMAP "* PREAUTH": logged in without credentials
  kUnreachable = 16,             // network or host unreachable (an ICMP answer to our SYN, or no
                                 // route from here): ENETUNREACH, EHOSTUNREACH on connect
};
// Arrays indexed by a ProbeOutcome value (counts per outcome) have this many slots; slot 0 counts
// values a reader does not know (a newer writer's).
inline constexpr size_t kProbeOutcomeSlots = 17;
static_assert(static_cast<size_t>(ProbeOutcome::kUnreachable) == kProbeOutcomeSlots - 1,
              "a slot for every ProbeOutcome value");

// Bits of ProbeRecord::flags: the separate facts any "without TLS" policy is built from.
enum ProbeFlag : uint32_t {
  kStartTlsAdvertised = 1u << 0,     // STLS in CAPA / STARTTLS in CAPABILITY or EHLO
  kStartTlsAccepted = 1u << 1,       // the STARTTLS/STLS command got a positive reply
  kTlsHandshakeOk = 1u << 2,         // a TLS handshake completed (STARTTLS or implicit)
  kPlaintextLoginOffered = 1u << 3,  // before TLS: POP3 USER or SASL PLAIN/LOGIN; IMAP without
                                     // LOGINDISABLED; SMTP AUTH PLAIN/LOGIN
  kLoginDisabled = 1u << 4,          // IMAP LOGINDISABLED before TLS
  kStartTlsTriedBlind = 1u << 5,     // STARTTLS sent although not advertised (opt-in flag)
  kInjectionTested = 1u << 6,        // STARTTLS command-injection check ran
  kInjectionVulnerable = 1u << 7,    // the injected command was answered inside TLS
  kPlaintextLeftover = 1u << 8,      // bytes arrived after the STARTTLS reply, before TLS
  kBannerTruncated = 1u << 9,        // banner longer than the cap
  kCapabilitiesRead = 1u << 10,      // CAPA/CAPABILITY/EHLO reply read completely before TLS
  kCapabilitiesReadTls = 1u << 11,   // ... and again inside TLS
  kHeloFallback = 1u << 12,          // SMTP: EHLO answered 500/502, HELO sent instead
};

struct CertificateFacts {
  std::array<uint8_t, 32> sha256{};
  std::array<uint8_t, 20> sha1{};
  std::array<uint8_t, 16> md5{};
  std::string subject_cn, subject_o, subject_ou, subject_c;
  std::string issuer_cn, issuer_o, issuer_ou, issuer_c;
  std::string serial_hex;  // upper-case hex, no separators; "-" first if negative (sent, if rare)
  int64_t not_before = 0;  // Unix seconds
  int64_t not_after = 0;
  bool self_signed = false;   // issuer == subject and the signature verifies with its own key
  std::string key_algorithm;  // "RSA", "EC", "ED25519", ...
  uint32_t key_bits = 0;
  std::string signature_algorithm;  // "sha256WithRSAEncryption", ...
  std::string der;                  // the leaf certificate itself (may be empty to save space)
  // Only sha256 is known: a damaged file lost the certificate's definition (a reader sets it;
  // every other field is then empty, never made up).
  bool lost = false;

  friend bool operator==(const CertificateFacts&, const CertificateFacts&) = default;
};

struct TlsFacts {
  uint16_t version = 0;      // wire version: 0x0301 TLS 1.0 ... 0x0304 TLS 1.3; 0 none
  std::string cipher;        // IANA name, "TLS_AES_128_GCM_SHA256"
  uint8_t chain_length = 0;  // certificates the server sent
  std::optional<CertificateFacts> leaf;
  std::string failure;  // short reason when the handshake failed ("alert 40", ...)

  friend bool operator==(const TlsFacts&, const TlsFacts&) = default;
};

struct ProbeRecord {
  uint32_t address = 0;  // host order
  uint16_t port = 0;
  Protocol protocol = Protocol::kUnknown;
  TlsMode tls_mode = TlsMode::kStartTls;
  ProbeOutcome outcome = ProbeOutcome::kNoGreeting;
  uint32_t flags = 0;            // ProbeFlag bits
  int64_t start_us = 0;          // Unix microseconds when the connect started
  uint32_t connect_us = 0;       // time to connect
  uint32_t duration_us = 0;      // whole probe
  std::string banner;            // greeting as received (multi-line kept with \r\n), capped
  std::string capabilities;      // before TLS, space-separated, upper-case (CAPA/CAPABILITY/EHLO)
  std::string capabilities_tls;  // inside TLS
  std::string auth_mechanisms;   // SASL mechanisms before TLS, space-separated
  std::string auth_mechanisms_tls;
  TlsFacts tls;
  std::string domain;  // the target's name (ZGrab2's domain, or --sni), sent as TLS server name
  // Connections this record took: 1, or more when transient outcomes (a connect timeout, a
  // reset before the greeting, 421/service unavailable, a read or TLS handshake timeout) were
  // tried again. The record keeps the last attempt's outcome and facts.
  uint8_t attempts = 1;

  friend bool operator==(const ProbeRecord&, const ProbeRecord&) = default;
};

// Describes one run; written once at the start of each record file.
struct FileHeader {
  uint32_t format_version = 0;  // filled by the writer
  std::string tool_version;     // MAILSWEEP_VERSION
  std::string scan_id;          // unique per run (random hex); shards of one sweep share it
  uint64_t seed = 0;
  uint32_t shards = 1;
  uint32_t shard = 0;
  std::vector<uint16_t> ports;
  int64_t start_time_us = 0;  // Unix microseconds
  std::string command_line;
  uint64_t file_id = 0;  // random per file, filled by the writer (version 6; 0 before)

  friend bool operator==(const FileHeader&, const FileHeader&) = default;
};

// The protocol a port implies (POP3 110/995, IMAP 143/993, SMTP 25/465/587), and its TLS mode.
Protocol ProtocolForPort(uint16_t port);
TlsMode TlsModeForPort(uint16_t port);
const char* ProtocolName(Protocol p);        // "pop3", "imap", "smtp", "unknown"
const char* OutcomeName(ProbeOutcome o);     // "starttls_ok", ...
const char* SweepStatusName(SweepStatus s);  // "open", "closed", "unreachable"
// "TLSv1.2", "SSLv3", ...; "" for 0 (no TLS), "other"/"unknown" for anything else.
const char* TlsVersionName(uint16_t version);

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_RECORDS_H_
