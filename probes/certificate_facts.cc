#include "probes/certificate_facts.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <ctime>
#include <optional>

namespace mailsweep::probes {
namespace {

std::string NameEntry(const X509_NAME* name, int nid) {
  if (name == nullptr) return {};
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  if (out.size() > 256) out.resize(256);
  return out;
}

int64_t AsnTimeToUnix(const ASN1_TIME* t) {
  if (t == nullptr) return 0;
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

template <size_t N>
void Digest(X509* cert, const EVP_MD* md, std::array<uint8_t, N>* out) {
  unsigned int len = 0;
  unsigned char buf[EVP_MAX_MD_SIZE];
  if (md != nullptr && X509_digest(cert, md, buf, &len) == 1 && len == N) {
    std::copy(buf, buf + N, out->begin());
  }
}

const char* KeyAlgorithmName(int id) {
  switch (id) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      return "RSA";
    case EVP_PKEY_EC:
      return "EC";
    case EVP_PKEY_DSA:
      return "DSA";
    case EVP_PKEY_ED25519:
      return "ED25519";
    case EVP_PKEY_ED448:
      return "ED448";
    default:
      return "";
  }
}

}  // namespace

CertificateDigests::CertificateDigests()
    : sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
      sha1(EVP_MD_fetch(nullptr, "SHA1", nullptr)),
      md5(EVP_MD_fetch(nullptr, "MD5", nullptr)) {}

CertificateDigests::~CertificateDigests() {
  EVP_MD_free(sha256);
  EVP_MD_free(sha1);
  EVP_MD_free(md5);
}

void ExtractCertificateFacts(X509* cert, bool keep_der, results::CertificateFacts* facts,
                             const CertificateDigests* digests) {
  std::optional<CertificateDigests> local;
  if (digests == nullptr) digests = &local.emplace();
  Digest(cert, digests->sha256, &facts->sha256);
  Digest(cert, digests->sha1, &facts->sha1);
  Digest(cert, digests->md5, &facts->md5);

  const X509_NAME* subject = X509_get_subject_name(cert);
  const X509_NAME* issuer = X509_get_issuer_name(cert);
  facts->subject_cn = NameEntry(subject, NID_commonName);
  facts->subject_o = NameEntry(subject, NID_organizationName);
  facts->subject_ou = NameEntry(subject, NID_organizationalUnitName);
  facts->subject_c = NameEntry(subject, NID_countryName);
  facts->issuer_cn = NameEntry(issuer, NID_commonName);
  facts->issuer_o = NameEntry(issuer, NID_organizationName);
  facts->issuer_ou = NameEntry(issuer, NID_organizationalUnitName);
  facts->issuer_c = NameEntry(issuer, NID_countryName);

  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      facts->serial_hex = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  facts->not_before = AsnTimeToUnix(X509_get0_notBefore(cert));
  facts->not_after = AsnTimeToUnix(X509_get0_notAfter(cert));

  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key != nullptr) {
    facts->key_algorithm = KeyAlgorithmName(EVP_PKEY_get_base_id(key));
    if (facts->key_algorithm.empty()) facts->key_algorithm = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
    facts->key_bits = static_cast<uint32_t>(EVP_PKEY_get_bits(key));
  }
  facts->self_signed =
      X509_NAME_cmp(subject, issuer) == 0 && key != nullptr && X509_verify(cert, key) == 1;
  int sig_nid = X509_get_signature_nid(cert);
  facts->signature_algorithm = sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "";

  facts->der.clear();
  if (keep_der) {
    int n = i2d_X509(cert, nullptr);
    if (n > 0) {
      facts->der.resize(static_cast<size_t>(n));
      unsigned char* p = reinterpret_cast<unsigned char*>(facts->der.data());
      i2d_X509(cert, &p);
    }
  }
}

}  // namespace mailsweep::probes
