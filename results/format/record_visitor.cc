#include "results/format/record_visitor.h"

namespace mailsweep::results {

void ToProbeRecord(const ProbeView& v, ProbeRecord* r) {
  r->address = v.address;
  r->port = v.port;
  r->protocol = v.protocol;
  r->tls_mode = v.tls_mode;
  r->outcome = v.outcome;
  r->flags = v.flags;
  r->start_us = v.start_us;
  r->connect_us = v.connect_us;
  r->duration_us = v.duration_us;
  r->banner.assign(v.banner);
  r->capabilities.assign(v.capabilities);
  r->capabilities_tls.assign(v.capabilities_tls);
  r->auth_mechanisms.assign(v.auth_mechanisms);
  r->auth_mechanisms_tls.assign(v.auth_mechanisms_tls);
  r->tls.version = v.tls_version;
  r->tls.cipher.assign(v.tls_cipher);
  r->tls.chain_length = v.chain_length;
  r->tls.failure.assign(v.tls_failure);
  r->tls.leaf.reset();
  r->domain.assign(v.domain);
  r->attempts = v.attempts;
}

void RecordVisitor::OnProbeSummaries(std::span<const ProbeSummary> batch) {
  ProbeView view;
  for (const ProbeSummary& s : batch) {
    static_cast<ProbeSummary&>(view) = s;
    OnProbe(view);
  }
}

}  // namespace mailsweep::results
