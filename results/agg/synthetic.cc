#include "results/agg/synthetic.h"

#include <cmath>

#include "base/siphash.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/text_format.h"
#include "results/format/record_writer.h"

namespace mailsweep::results {
namespace {

struct Share {
  const char* country;
  int percent;
};
// Roughly the shares of the published "without TLS" figures.
constexpr Share kShares[] = {{"US", 30}, {"DE", 15}, {"PL", 10}, {"JP", 8}, {"FR", 7}, {"GB", 5},
                             {"NL", 5},  {"RU", 4},  {"IT", 4},  {"CN", 3}, {"BR", 2}, {"CA", 2},
                             {"ES", 2},  {"SE", 1},  {"CZ", 1},  {"UA", 1}};

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

uint64_t RangeSize(const SyntheticOptions& o) { return uint64_t{1} << (32 - o.prefix_len); }

CertificateFacts LabCertificate(int which) {
  CertificateFacts c;
  for (int i = 0; i < 32; ++i) c.sha256[i] = static_cast<uint8_t>(Mix(which * 131 + i));
  for (int i = 0; i < 20; ++i) c.sha1[i] = static_cast<uint8_t>(Mix(which * 137 + i));
  for (int i = 0; i < 16; ++i) c.md5[i] = static_cast<uint8_t>(Mix(which * 139 + i));
  c.subject_cn = StrCat("mail", which, ".lab.example");
  c.subject_o = "mailsweep lab";
  c.issuer_cn = "mailsweep lab CA";
  c.issuer_o = "mailsweep lab";
  c.issuer_c = "DE";
  c.serial_hex = StrCat("0A0B", which);
  c.not_before = 1735689600;  // 2025-01-01
  c.not_after = 1830297600;   // 2028-01-01
  c.key_algorithm = "RSA";
  c.key_bits = 2048;
  c.signature_algorithm = "sha256WithRSAEncryption";
  c.der = std::string(900, static_cast<char>('A' + which));
  return c;
}

}  // namespace

std::string SyntheticCountry(const SyntheticOptions& o, uint32_t address) {
  uint64_t size = RangeSize(o), offset = address - o.base, start = 0;
  for (const Share& s : kShares) {
    uint64_t n = size * s.percent / 100;
    if (offset < start + n) return s.country;
    start += n;
  }
  return "ZZ";  // the remainder of the range is not in the CSV
}

std::string SyntheticGeoCsv(const SyntheticOptions& o) {
  std::string out;
  uint64_t size = RangeSize(o), start = 0;
  for (const Share& s : kShares) {
    uint64_t n = size * s.percent / 100;
    out += StrCat(FormatIpv4(static_cast<uint32_t>(o.base + start)), ",",
                  FormatIpv4(static_cast<uint32_t>(o.base + start + n - 1)), ",", s.country, "\n");
    start += n;
  }
  return out;
}

uint32_t SyntheticAddress(const SyntheticOptions& o, uint64_t i) {
  // An odd multiplier permutes the range: hosts scatter over all countries.
  uint64_t size = RangeSize(o);
  return static_cast<uint32_t>(o.base + ((i * 0x9e3779b1ULL + o.seed * 7919) & (size - 1)));
}

SyntheticProfile SyntheticProfileOf(const SyntheticOptions& o, uint32_t address) {
  double u = static_cast<double>(Mix(address ^ (o.seed << 32)) >> 11) / 9007199254740992.0;
  if (u < o.starttls) return SyntheticProfile::kStartTls;
  if (u < o.starttls + o.plain) return SyntheticProfile::kPlain;
  if (u < o.starttls + o.plain + o.implicit) return SyntheticProfile::kImplicit;
  return SyntheticProfile::kLegacy;
}

ProbeRecord SyntheticProbe(const SyntheticOptions& o, uint32_t address, uint16_t port,
                           int64_t time_us) {
  static const CertificateFacts kCerts[] = {LabCertificate(0), LabCertificate(1)};
  ProbeRecord p;
  p.address = address;
  p.port = port;
  p.protocol = ProtocolForPort(port);
  p.tls_mode = TlsModeForPort(port);
  p.start_us = time_us;
  uint64_t h = Mix(address * 31 + port);
  p.connect_us = 150 + static_cast<uint32_t>(h % 2000);
  p.duration_us = 5000 + static_cast<uint32_t>((h >> 16) % 60000);
  SyntheticProfile profile = SyntheticProfileOf(o, address);
  const bool implicit_port = p.tls_mode == TlsMode::kImplicit;
  const char* banner = p.protocol == Protocol::kPop3   ? "+OK Dovecot (Debian) ready."
                       : p.protocol == Protocol::kImap ? "* OK [CAPABILITY IMAP4rev1 SASL-IR "
                                                         "LOGIN-REFERRALS ID ENABLE IDLE "
                                                         "LITERAL+ STARTTLS AUTH=PLAIN] Dovecot "
                                                         "(Debian) ready."
                                                       : "220 mail.lab.example ESMTP Postfix "
                                                         "(Debian/GNU)";
  auto tls = [&](uint16_t version) {
    p.tls.version = version;
    p.tls.cipher = version == 0x0304 ? "TLS_AES_256_GCM_SHA384" : "ECDHE-RSA-AES256-SHA";
    p.tls.chain_length = 1;
    p.tls.leaf = kCerts[address & 1];
    p.flags |= kTlsHandshakeOk;
  };
  switch (profile) {
    case SyntheticProfile::kStartTls:
    case SyntheticProfile::kLegacy: {
      uint16_t version = profile == SyntheticProfile::kLegacy ? 0x0301 : 0x0304;
      p.banner = banner;
      if (implicit_port) {
        p.outcome = ProbeOutcome::kImplicitTlsOk;
      } else {
        p.outcome = ProbeOutcome::kStartTlsOk;
        p.flags = kStartTlsAdvertised | kStartTlsAccepted | kCapabilitiesRead;
        p.capabilities = p.protocol == Protocol::kPop3 ? "CAPA TOP UIDL RESP-CODES STLS" : "";
      }
      tls(version);
      break;
    }
    case SyntheticProfile::kPlain:
      if (implicit_port) {
        p.outcome = ProbeOutcome::kConnectRefused;
      } else {
        p.banner = banner;
        p.outcome = ProbeOutcome::kPlaintextOnly;
        p.flags = kPlaintextLoginOffered | kCapabilitiesRead;
        p.capabilities =
            p.protocol == Protocol::kPop3 ? "CAPA TOP UIDL RESP-CODES USER SASL PLAIN" : "";
        p.auth_mechanisms = "PLAIN LOGIN";
      }
      break;
    case SyntheticProfile::kImplicit:
      if (implicit_port) {
        p.banner = banner;
        p.outcome = ProbeOutcome::kImplicitTlsOk;
        tls(0x0304);
      } else {
        p.outcome = ProbeOutcome::kConnectRefused;
      }
      break;
  }
  return p;
}

absl::Status WriteSyntheticFile(const std::string& path, const SyntheticOptions& o,
                                SyntheticTruth* truth) {
  if (o.hosts > RangeSize(o)) return absl::InvalidArgumentError("more hosts than addresses");
  FileHeader header;
  header.tool_version = MAILSWEEP_VERSION;
  header.scan_id = StrCat("synthetic-", o.seed);
  header.seed = o.seed;
  header.ports = {110, 995, 143, 993, 25, 587, 465};
  header.start_time_us = 1764403200000000;  // 2025-11-29
  header.command_line = "synthetic";
  auto writer = RecordFileWriter::Create(path, header);
  if (!writer.ok()) return writer.status();
  {
    auto sink = (*writer)->NewSink();
    int64_t t = header.start_time_us;
    for (uint16_t port : header.ports) {
      for (uint64_t i = 0; i < o.hosts; ++i) {
        t += 3;
        ProbeRecord probe = SyntheticProbe(o, SyntheticAddress(o, i), port, t);
        if (o.sweeps) {
          SweepRecord s;
          s.address = probe.address;
          s.port = port;
          s.status = probe.outcome == ProbeOutcome::kConnectRefused ? SweepStatus::kClosed
                                                                    : SweepStatus::kOpen;
          s.ttl = 64;
          s.window = s.status == SweepStatus::kOpen ? 64240 : 0;
          s.time_us = t - 1;
          sink->Add(s);
        }
        sink->Add(probe);
      }
    }
  }
  MAILSWEEP_RETURN_IF_ERROR((*writer)->Close());
  if (truth) {
    truth->records += o.hosts * header.ports.size();
    for (uint64_t i = 0; i < o.hosts; ++i) {
      uint32_t a = SyntheticAddress(o, i);
      HostClass cls;
      switch (SyntheticProfileOf(o, a)) {
        case SyntheticProfile::kPlain:
          cls = HostClass::kNoTls;
          break;
        case SyntheticProfile::kImplicit:
          cls = HostClass::kImplicitOnly;
          break;
        default:
          cls = HostClass::kStartTls;
      }
      for (int p = 0; p < kMailProtocols; ++p) {
        ++truth->counts[{SyntheticCountry(o, a), p}][static_cast<int>(cls)];
        if (cls == HostClass::kNoTls) ++truth->without_tls[p];
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace mailsweep::results
