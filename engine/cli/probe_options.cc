#include "engine/cli/probe_options.h"

#include <sys/resource.h>

#include <algorithm>
#include <optional>

#include "base/host_name.h"
#include "base/strings.h"
#include "targets/ipv4.h"

namespace mailsweep::engine {

void ProbeFlags::Register(FlagSet* flags, Names names) {
  const bool scan = names == kInScan;
  ProberOptions& o = options;
  flags->Uint32(scan ? "--prober-threads" : "-t,--threads", "N",
                "prober threads (one epoll loop each)", &o.threads);
  flags->Uint32(scan ? "--concurrency" : "-c,--concurrency", "N",
                "the most connections at once, all prober threads together; an adaptive "
                "window below it starts at 256, grows with each prompt greeting and halves "
                "with the start rate",
                &o.max_connections);
  flags->Uint32(scan ? "--connect-rate" : "-r,--rate", "N",
                "the most new connections per second (0: no ceiling); the start rate adapts "
                "below it: it grows while connects complete quickly and halves when they turn "
                "slow, time out, are refused or reset, or the greeting is 2 s late",
                &o.connect_rate);
  flags->Bool("--fixed-rate",
              "do not adapt the start rate or the window: start at the rate given (or "
              "unlimited), up to -c at once",
              &fixed_rate);
  flags->Uint32("--max-per-address", "N", "concurrent connections to one address (0: no cap)",
                &o.per_address_cap);
  flags->Uint32("--max-per-24", "N",
                "concurrent connections to one /24: many addresses of a hosting provider are "
                "often one machine (0: no cap)",
                &o.per_prefix_cap);
  flags->Uint32("--retries", "N",
                "try a target again up to N times when its outcome is transient (connect "
                "timeout, reset before the greeting, service unavailable, no greeting, read "
                "or TLS handshake timeout); the record keeps the last attempt and counts them",
                &o.retries);
  flags->Uint32("--retry-delay", "MS", "how long after a transient outcome the next attempt starts",
                &o.retry_delay_ms);
  flags->Uint32("--connect-timeout", "MS", "deadline for the TCP handshake", &o.connect_timeout_ms);
  flags->Uint32("--read-timeout", "MS", "deadline for each reply and for the TLS handshake",
                &o.read_timeout_ms);
  flags->Uint32("--target-timeout", "MS", "deadline for a whole target", &o.target_timeout_ms);
  flags->Custom("--ehlo", "NAME",
                "SMTP EHLO name, a DNS name (default: this host's fully qualified name, from "
                "gethostname() or /etc/hosts; mailsweep.invalid when it has none)",
                "", [this](std::string_view v) {
                  ehlo = std::string(v);
                  return absl::OkStatus();
                });
  flags->String("--sni", "NAME",
                "TLS server name (SNI) for targets without a domain of their own in the input; "
                "recorded as the record's domain (default: none)",
                &o.sni);
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
  o.adaptive_rate = !fixed_rate;
  if (ehlo) {
    o.session.ehlo_name = *ehlo;
  } else if (std::optional<std::string> fqdn = LocalFqdn()) {
    o.session.ehlo_name = *fqdn;
  }
  if (!source_ip.empty()) {
    auto a = targets::ParseIpv4(source_ip);
    if (!a.ok()) return absl::InvalidArgumentError(StrCat("source ip: ", a.status().message()));
    o.source_address = *a;
  }
  if (absl::Status s = o.Validate(); !s.ok()) return s;
  return o;
}

std::string ProbeFlags::DescribeEhlo(const ProberOptions& o) const {
  const std::string& name = o.session.ehlo_name;
  if (ehlo) return StrCat("EHLO name ", name, " (--ehlo)");
  if (name == probes::SessionOptions{}.ehlo_name) {
    return StrCat("EHLO name ", name,
                  " (this host has no fully qualified name in gethostname() or /etc/hosts: "
                  "give --ehlo so that servers' logs name the scanner)");
  }
  return StrCat("EHLO name ", name, " (this host's fully qualified name)");
}

std::string FitToOpenFileLimit(ProberOptions* o) {
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return "";
  if (r.rlim_cur < r.rlim_max) {
    rlimit raised = r;
    raised.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) r = raised;
  }
  constexpr rlim_t kReserve = 256;
  if (r.rlim_cur == RLIM_INFINITY || o->max_connections + kReserve <= r.rlim_cur) return "";
  const uint32_t fit = std::max<uint32_t>(
      o->threads, r.rlim_cur > kReserve ? static_cast<uint32_t>(r.rlim_cur - kReserve) : 1);
  std::string note =
      StrCat("at most ", fit, " connections, not ", o->max_connections, ": the open-file limit is ",
             r.rlim_cur, " (raise the hard limit, e.g. ulimit -Hn, to allow more)");
  o->max_connections = fit;
  return note;
}

}  // namespace mailsweep::engine
