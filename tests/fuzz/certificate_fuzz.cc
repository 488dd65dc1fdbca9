// libFuzzer target for the certificate facts a probe records (probes::ExtractCertificateFacts)
// from whatever DER a server sends: any bytes that OpenSSL accepts as an X.509 certificate.
#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "probes/certificate_facts.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailsweep;
  static const probes::CertificateDigests digests;
  const unsigned char* p = data;
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(size));
  if (cert == nullptr) return 0;
  results::CertificateFacts facts;
  probes::ExtractCertificateFacts(cert, /*keep_der=*/true, &facts, &digests);
  X509_free(cert);
  fuzz::Check(facts.der.size() <= size, "the DER kept is at most what arrived");
  fuzz::Check(facts.serial_hex.size() <= 2 * size, "the serial is from the certificate");
  // Upper-case hex; a negative serial (not allowed by RFC 5280, but sent) keeps its sign.
  std::string_view serial = facts.serial_hex;
  if (!serial.empty() && serial.front() == '-') serial.remove_prefix(1);
  for (char ch : serial) {
    fuzz::Check((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F'), "the serial is hex");
  }
  return 0;
}
