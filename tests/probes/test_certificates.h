// Certificates made in the test with OpenSSL's API, for the tests of certificate facts, the
// certificate cache and the TLS client: a key of a chosen algorithm and size, a subject and an
// issuer of known names, a serial, validity dates and subject alternative names, signed by the
// certificate's own key (self-signed) or by a CA's. Test thread only; TestCertificate owns its
// key and certificate.
//
// Example:
//   TestCertificate ca = MakeCertificate({.cn = "Lab CA", .key = KeyType::kEcP384});
//   TestCertificate leaf = MakeCertificate({.cn = "mail.lab.example"}, &ca);
#ifndef MAILSWEEP_TESTS_PROBES_TEST_CERTIFICATES_H_
#define MAILSWEEP_TESTS_PROBES_TEST_CERTIFICATES_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mailsweep::probes::testing {

enum class KeyType { kRsa1024, kRsa2048, kEcP256, kEcP384, kEd25519 };

struct CertificateSpec {
  std::string cn = "mail.lab.example";
  std::string o = "Lab Mail";
  std::string ou;  // empty: no entry
  std::string c = "DE";
  KeyType key = KeyType::kEcP256;
  std::string serial_hex = "1234ABCD";
  const char* not_before = "20240101000000Z";  // GeneralizedTime, UTC
  const char* not_after = "20241231235959Z";
  std::vector<std::string> dns_names;  // subjectAltName DNS entries; none: no extension
  const char* digest = "SHA256";       // ignored when an Ed25519 key signs (it needs none)
};

struct TestCertificate {
  TestCertificate() = default;
  TestCertificate(TestCertificate&& other) noexcept;
  TestCertificate& operator=(TestCertificate&&) = delete;
  ~TestCertificate();
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
};

// A certificate as `spec` says, signed by `issuer`'s key with its subject as the issuer name, or
// self-signed when `issuer` is null. Fails the current test (REQUIRE) if OpenSSL refuses.
TestCertificate MakeCertificate(const CertificateSpec& spec,
                                const TestCertificate* issuer = nullptr);

// The DER encoding of `cert`.
std::string Der(X509* cert);

}  // namespace mailsweep::probes::testing

#endif  // MAILSWEEP_TESTS_PROBES_TEST_CERTIFICATES_H_
