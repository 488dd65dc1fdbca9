#include "engine/probe_options.h"

#include "base/strings.h"
#include "targets/ipv4.h"

namespace mailsweep::engine {

void ProbeFlags::Register(FlagSet* flags, Names names) {
  const bool scan = names == kInScan;
  ProberOptions& o = options;
  flags->Uint32(scan ? "--prober-threads" : "-t,--threads", "N",
                "prober threads (one epoll loop each)", &o.threads);
  flags->Uint32(scan ? "--concurrency" : "-c,--concurrency", "N",
                "concurrent connections, all prober threads together", &o.max_connections);
  flags->Uint32(scan ? "--connect-rate" : "-r,--rate", "N",
                "new connections per second (0: unlimited)", &o.connect_rate);
  flags->Uint32("--connect-timeout", "MS", "deadline for the TCP handshake", &o.connect_timeout_ms);
  flags->Uint32("--read-timeout", "MS", "deadline for each reply and for the TLS handshake",
                &o.read_timeout_ms);
  flags->Uint32("--target-timeout", "MS", "deadline for a whole target", &o.target_timeout_ms);
  flags->String("--ehlo", "NAME", "SMTP EHLO name", &o.session.ehlo_name);
  flags->String("--sni", "NAME", "TLS server_name to send (default: none)", &o.sni);
  flags->Bool("--starttls-blind", "also try STARTTLS/STLS when not advertised",
              &o.session.starttls_blind);
  flags->Bool("--injection-check",
              "send STARTTLS plus a second command in one segment; record whether the second is "
              "answered inside TLS",
              &o.session.injection_check);
  flags->Uint32("--injection-wait", "MS", "how long to wait for an answer to the injected command",
                &o.session.injection_wait_ms);
  flags->Uint32("--banner-cap", "BYTES", "greeting bytes kept per record", &o.session.banner_cap);
  flags->String(scan ? "--probe-source-ip" : "--source-ip", "IP",
                "bind probe connections to this local address", &source_ip);
  flags->Uint32(scan ? "--prober-queue" : "--queue", "N", "hand-off queue slots per prober thread",
                &o.queue_capacity);
}

absl::StatusOr<ProberOptions> ProbeFlags::Finish() const {
  ProberOptions o = options;
  if (!source_ip.empty()) {
    auto a = targets::ParseIpv4(source_ip);
    if (!a.ok()) return absl::InvalidArgumentError(StrCat("source ip: ", a.status().message()));
    o.source_address = *a;
  }
  if (absl::Status s = o.Validate(); !s.ok()) return s;
  return o;
}

}  // namespace mailsweep::engine
