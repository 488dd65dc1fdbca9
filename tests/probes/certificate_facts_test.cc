// ExtractCertificateFacts on certificates made in the test (test_certificates.h): every fact
// against what the certificate was made with, fingerprints against digests of its DER computed
// here with EVP_Digest.
#include "probes/certificate_facts.h"

#include <openssl/evp.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "tests/probes/test_certificates.h"

namespace mailsweep::probes {
namespace {

using results::CertificateFacts;
using testing::CertificateSpec;
using testing::Der;
using testing::KeyType;
using testing::MakeCertificate;
using testing::TestCertificate;

template <size_t N>
std::array<uint8_t, N> DigestOfDer(X509* cert, const char* name) {
  const std::string der = Der(cert);
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  REQUIRE(EVP_Digest(der.data(), der.size(), out.data(), &len, EVP_get_digestbyname(name),
                     nullptr) == 1);
  REQUIRE(len == N);
  return out;
}

CertificateFacts Extract(X509* cert, bool keep_der = false) {
  CertificateFacts facts;
  ExtractCertificateFacts(cert, keep_der, &facts);
  return facts;
}

TEST_CASE("SelfSignedRsaCertificateGivesEveryFact") {
  CertificateSpec spec;
  spec.cn = "mail.lab.example";
  spec.o = "Lab Mail";
  spec.ou = "Postmaster";
  spec.c = "DE";
  spec.key = KeyType::kRsa2048;
  spec.serial_hex = "1234ABCD";
  spec.dns_names = {"mail.lab.example", "imap.lab.example"};
  const TestCertificate t = MakeCertificate(spec);
  const CertificateFacts f = Extract(t.cert);
  CHECK(f.sha256 == DigestOfDer<32>(t.cert, "SHA256"));
  CHECK(f.sha1 == DigestOfDer<20>(t.cert, "SHA1"));
  CHECK(f.md5 == DigestOfDer<16>(t.cert, "MD5"));
  CHECK(f.subject_cn == "mail.lab.example");
  CHECK(f.subject_o == "Lab Mail");
  CHECK(f.subject_ou == "Postmaster");
  CHECK(f.subject_c == "DE");
  CHECK(f.issuer_cn == "mail.lab.example");
  CHECK(f.issuer_o == "Lab Mail");
  CHECK(f.issuer_ou == "Postmaster");
  CHECK(f.issuer_c == "DE");
  CHECK(f.serial_hex == "1234ABCD");
  CHECK(f.not_before == 1704067200);  // 2024-01-01 00:00:00 UTC
  CHECK(f.not_after == 1735689599);   // 2024-12-31 23:59:59 UTC
  CHECK(f.self_signed);
  CHECK(f.key_algorithm == "RSA");
  CHECK(f.key_bits == 2048);
  CHECK(f.signature_algorithm == "sha256WithRSAEncryption");
  CHECK(f.der.empty());
}

TEST_CASE("CaSignedEcCertificateNamesItsIssuerAndIsNotSelfSigned") {
  CertificateSpec ca_spec;
  ca_spec.cn = "Lab Root CA";
  ca_spec.o = "Lab Trust";
  ca_spec.ou = "Certification";
  ca_spec.c = "CH";
  ca_spec.key = KeyType::kEcP384;
  const TestCertificate ca = MakeCertificate(ca_spec);
  CertificateSpec spec;
  spec.cn = "smtp.lab.example";
  spec.o = "";
  spec.c = "";
  spec.key = KeyType::kEcP256;
  spec.serial_hex = "0A";
  spec.digest = "SHA384";
  spec.not_before = "19991231235959Z";
  spec.not_after = "20510630120000Z";  // GeneralizedTime past 2049
  spec.dns_names = {"smtp.lab.example"};
  const TestCertificate leaf = MakeCertificate(spec, &ca);
  const CertificateFacts f = Extract(leaf.cert);
  CHECK(f.sha256 == DigestOfDer<32>(leaf.cert, "SHA256"));
  CHECK(f.subject_cn == "smtp.lab.example");
  CHECK(f.subject_o.empty());  // no such entry
  CHECK(f.subject_ou.empty());
  CHECK(f.subject_c.empty());
  CHECK(f.issuer_cn == "Lab Root CA");
  CHECK(f.issuer_o == "Lab Trust");
  CHECK(f.issuer_ou == "Certification");
  CHECK(f.issuer_c == "CH");
  CHECK(f.serial_hex == "0A");
  CHECK(f.not_before == 946684799);
  CHECK(f.not_after == 2571739200);
  CHECK_FALSE(f.self_signed);
  CHECK(f.key_algorithm == "EC");
  CHECK(f.key_bits == 256);
  CHECK(f.signature_algorithm == "ecdsa-with-SHA384");

  const CertificateFacts ca_facts = Extract(ca.cert);
  CHECK(ca_facts.self_signed);
  CHECK(ca_facts.key_bits == 384);
  CHECK(ca_facts.signature_algorithm == "ecdsa-with-SHA256");
}

TEST_CASE("SubjectEqualToIssuerButSignedByAnotherKeyIsNotSelfSigned") {
  CertificateSpec spec;
  spec.cn = "twin.lab.example";
  const TestCertificate ca = MakeCertificate(spec);
  const TestCertificate twin = MakeCertificate(spec, &ca);  // same names, the CA's signature
  const CertificateFacts f = Extract(twin.cert);
  CHECK(f.subject_cn == f.issuer_cn);
  CHECK_FALSE(f.self_signed);
}

TEST_CASE("Ed25519KeyAndSignature") {
  CertificateSpec spec;
  spec.key = KeyType::kEd25519;
  const TestCertificate t = MakeCertificate(spec);
  const CertificateFacts f = Extract(t.cert);
  CHECK(f.key_algorithm == "ED25519");
  CHECK(f.key_bits == 256);  // OpenSSL 3 gives the encoded key size
  CHECK(f.signature_algorithm == "ED25519");
  CHECK(f.self_signed);
}

TEST_CASE("LongAndUtf8NamesAreKeptAsUtf8AndCappedAt256Bytes") {
  CertificateSpec spec;
  spec.cn = std::string(300, 'n');
  spec.o = "M\xc3\xbcller Mail GmbH";
  const TestCertificate t = MakeCertificate(spec);
  const CertificateFacts f = Extract(t.cert);
  CHECK(f.subject_cn == std::string(256, 'n'));
  CHECK(f.issuer_cn == std::string(256, 'n'));
  CHECK(f.subject_o == "M\xc3\xbcller Mail GmbH");
}

TEST_CASE("LongSerialIsUpperCaseHexWithoutSeparators") {
  CertificateSpec spec;
  spec.serial_hex = "7f00112233445566778899aabbccddeeff0011";
  const TestCertificate t = MakeCertificate(spec);
  CHECK(Extract(t.cert).serial_hex == "7F00112233445566778899AABBCCDDEEFF0011");
}

TEST_CASE("KeepDerStoresTheLeaf") {
  const TestCertificate t = MakeCertificate({});
  CertificateFacts facts = Extract(t.cert, /*keep_der=*/true);
  CHECK(facts.der == Der(t.cert));
  ExtractCertificateFacts(t.cert, false, &facts);  // the same record reused: the DER goes
  CHECK(facts.der.empty());
}

TEST_CASE("SharedDigestsGiveWhatPerCallDigestsGive") {
  const TestCertificate t = MakeCertificate({});
  const CertificateDigests digests;
  CertificateFacts shared;
  ExtractCertificateFacts(t.cert, true, &shared, &digests);
  CHECK(shared == Extract(t.cert, true));
}

TEST_CASE("WithoutMd5TheMd5FieldStaysZero") {
  // As under a FIPS provider, where MD5 cannot be fetched.
  const TestCertificate t = MakeCertificate({});
  CertificateDigests digests;
  EVP_MD_free(digests.md5);
  digests.md5 = nullptr;
  CertificateFacts f;
  ExtractCertificateFacts(t.cert, false, &f, &digests);
  CHECK(f.md5 == std::array<uint8_t, 16>{});
  CHECK(f.sha256 == DigestOfDer<32>(t.cert, "SHA256"));
}

}  // namespace
}  // namespace mailsweep::probes
