#include "tests/probes/test_certificates.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

namespace mailsweep::probes::testing {
namespace {

EVP_PKEY* MakeKey(KeyType type) {
  switch (type) {
    case KeyType::kRsa1024:
      return EVP_RSA_gen(1024);
    case KeyType::kRsa2048:
      return EVP_RSA_gen(2048);
    case KeyType::kEcP256:
      return EVP_EC_gen("P-256");
    case KeyType::kEcP384:
      return EVP_EC_gen("P-384");
    case KeyType::kEd25519:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  return nullptr;
}

void AddEntry(X509_NAME* name, int nid, const std::string& value) {
  if (value.empty()) return;
  // UTF8String by NID: no per-field length table, so long names reach the extractor whole.
  REQUIRE(X509_NAME_add_entry_by_NID(name, nid, V_ASN1_UTF8STRING,
                                     reinterpret_cast<const unsigned char*>(value.data()),
                                     static_cast<int>(value.size()), -1, 0) == 1);
}

}  // namespace

TestCertificate::TestCertificate(TestCertificate&& other) noexcept
    : key(other.key), cert(other.cert) {
  other.key = nullptr;
  other.cert = nullptr;
}

TestCertificate::~TestCertificate() {
  X509_free(cert);
  EVP_PKEY_free(key);
}

TestCertificate MakeCertificate(const CertificateSpec& spec, const TestCertificate* issuer) {
  TestCertificate t;
  t.key = MakeKey(spec.key);
  REQUIRE(t.key != nullptr);
  t.cert = X509_new();
  REQUIRE(X509_set_version(t.cert, 2) == 1);

  BIGNUM* serial = nullptr;
  REQUIRE(BN_hex2bn(&serial, spec.serial_hex.c_str()) > 0);
  REQUIRE(BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(t.cert)) != nullptr);
  BN_free(serial);

  REQUIRE(ASN1_TIME_set_string_X509(X509_getm_notBefore(t.cert), spec.not_before) == 1);
  REQUIRE(ASN1_TIME_set_string_X509(X509_getm_notAfter(t.cert), spec.not_after) == 1);
  REQUIRE(X509_set_pubkey(t.cert, t.key) == 1);

  X509_NAME* name = X509_get_subject_name(t.cert);
  AddEntry(name, NID_countryName, spec.c);
  AddEntry(name, NID_organizationName, spec.o);
  AddEntry(name, NID_organizationalUnitName, spec.ou);
  AddEntry(name, NID_commonName, spec.cn);
  const TestCertificate& signer = issuer != nullptr ? *issuer : t;
  REQUIRE(X509_set_issuer_name(t.cert, X509_get_subject_name(signer.cert)) == 1);

  if (!spec.dns_names.empty()) {
    std::string sans;
    for (const std::string& dns : spec.dns_names) sans += (sans.empty() ? "DNS:" : ",DNS:") + dns;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, signer.cert, t.cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, sans.c_str());
    REQUIRE(ext != nullptr);
    REQUIRE(X509_add_ext(t.cert, ext, -1) == 1);
    X509_EXTENSION_free(ext);
  }

  const bool ed25519 = EVP_PKEY_get_base_id(signer.key) == EVP_PKEY_ED25519;
  const EVP_MD* md = ed25519 ? nullptr : EVP_get_digestbyname(spec.digest);
  REQUIRE(X509_sign(t.cert, signer.key, md) > 0);
  return t;
}

std::string Der(X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  REQUIRE(n > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace mailsweep::probes::testing
