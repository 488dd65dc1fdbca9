// libFuzzer target for probes::Session: arbitrary server bytes in arbitrary splits, for each
// protocol and TLS mode, with TLS "established" whenever the session asks for it. Checks the
// bounds every record must respect and that every conversation ends. Input: a byte choosing the
// port (and so the dialect), a byte of options, then chunks of server bytes, each led by a byte
// that sets its length; corpus/session/ holds the transcripts of tests/probes/transcripts/ so.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "probes/session.h"

namespace {

void Check(bool ok) {
  if (!ok) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailsweep;
  if (size < 2) return 0;
  static constexpr uint16_t kPorts[] = {110, 143, 25, 587, 995, 993, 465};
  results::ProbeRecord rec;
  rec.port = kPorts[data[0] % 7];
  rec.protocol = results::ProtocolForPort(rec.port);
  rec.tls_mode = results::TlsModeForPort(rec.port);
  probes::SessionOptions opt;
  opt.starttls_blind = data[1] & 1;
  opt.injection_check = data[1] & 2;
  opt.max_line = 256;
  opt.max_reply = 2048;
  opt.max_bytes = 8192;
  opt.banner_cap = 512;
  probes::Session s(&rec, &opt);
  probes::Action a = s.Start();
  size_t pos = 2;
  while (pos < size && a.step != probes::Step::kDone) {
    if (a.step == probes::Step::kStartTls) {
      a = (data[pos] & 1) ? s.OnTlsEstablished() : s.OnTlsFailed();
      ++pos;
      continue;
    }
    size_t chunk = 1 + data[pos] % 32;
    ++pos;
    if (pos + chunk > size) chunk = size - pos;
    a = s.OnBytes(std::span<const uint8_t>(data + pos, chunk));
    pos += chunk;
    if (a.step == probes::Step::kSend) a = s.OnBytes(std::span<const uint8_t>());
  }
  for (int i = 0; i < 4 && a.step != probes::Step::kDone; ++i) {
    a = a.step == probes::Step::kStartTls ? s.OnTlsEstablished() : s.OnTimeout();
  }
  if (a.step != probes::Step::kDone) a = s.OnClosed();
  Check(a.step == probes::Step::kDone && s.done());
  Check(rec.banner.size() <= opt.banner_cap);
  Check(rec.capabilities.size() <= opt.banner_cap && rec.capabilities_tls.size() <= opt.banner_cap);
  Check(rec.auth_mechanisms.size() <= opt.banner_cap);
  return 0;
}
