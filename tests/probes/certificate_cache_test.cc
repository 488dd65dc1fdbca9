// CertificateCache on certificates made in the test (test_certificates.h): a hit gives what
// extraction gives, a miss extracts, keep_der is part of the key, and the cache is direct-mapped
// over a power-of-two number of slots, so it holds at most that many certificates.
#include "probes/certificate_cache.h"

#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <vector>

#include "probes/certificate_facts.h"
#include "tests/probes/test_certificates.h"

namespace mailsweep::probes {
namespace {

using results::CertificateFacts;
using testing::CertificateSpec;
using testing::Der;
using testing::MakeCertificate;
using testing::TestCertificate;

CertificateFacts Extracted(X509* cert, bool keep_der) {
  CertificateFacts facts;
  ExtractCertificateFacts(cert, keep_der, &facts);
  return facts;
}

// The slot a certificate takes in a cache of `slots` (a power of two): the SHA-256 of its DER,
// first eight bytes in host order, as certificate_cache.h documents.
size_t SlotOf(X509* cert, size_t slots) {
  const std::string der = Der(cert);
  unsigned char sha256[32];
  unsigned int len = 0;
  REQUIRE(EVP_Digest(der.data(), der.size(), sha256, &len, EVP_sha256(), nullptr) == 1);
  uint64_t index;
  memcpy(&index, sha256, sizeof(index));
  return index & (slots - 1);
}

TEST_CASE("CertificateCacheGivesTheExtractedFacts") {
  CertificateSpec rsa;
  rsa.cn = "a.lab.example";
  rsa.key = testing::KeyType::kRsa1024;
  CertificateSpec ec;
  ec.cn = "b.lab.example";
  const TestCertificate a = MakeCertificate(rsa);
  const TestCertificate b = MakeCertificate(ec);
  const CertificateFacts want_a = Extracted(a.cert, false);
  const CertificateFacts want_b = Extracted(b.cert, false);
  REQUIRE(want_a.subject_cn == "a.lab.example");
  REQUIRE(want_a.self_signed);
  const CertificateDigests digests;
  CertificateFacts got;

  CertificateCache one_slot(1);  // every certificate maps to the same slot
  for (int round = 0; round < 2; ++round) {
    one_slot.Fill(a.cert, false, digests, &got);
    CHECK(got == want_a);
    one_slot.Fill(a.cert, false, digests, &got);
    CHECK(got == want_a);
    one_slot.Fill(b.cert, false, digests, &got);  // replaces a
    CHECK(got == want_b);
  }
  CHECK(one_slot.hits() == 2);
  CHECK(one_slot.misses() == 4);

  CertificateCache cache;
  cache.Fill(a.cert, false, digests, &got);
  cache.Fill(a.cert, true, digests, &got);  // now with the DER: not the entry above
  CHECK(got.der == Der(a.cert));
  cache.Fill(a.cert, true, digests, &got);
  CHECK(got == Extracted(a.cert, true));
  cache.Fill(a.cert, false, digests, &got);  // replaces the entry with the DER
  CHECK(got == want_a);
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 3);
}

TEST_CASE("CertificateCacheHitOverwritesStaleFacts") {
  const TestCertificate t = MakeCertificate({});
  const CertificateDigests digests;
  CertificateCache cache(4);
  CertificateFacts got;
  cache.Fill(t.cert, true, digests, &got);
  CertificateFacts reused;
  reused.subject_cn = "left over from the last host";
  reused.der = "stale";
  cache.Fill(t.cert, true, digests, &reused);
  CHECK(cache.hits() == 1);
  CHECK(reused == Extracted(t.cert, true));
}

TEST_CASE("CertificateCacheRoundsSlotsUpToAPowerOfTwo") {
  // Three slots become four: two certificates in different slots of four both stay, two in the
  // same slot replace each other. Zero slots become one.
  const CertificateDigests digests;
  std::vector<TestCertificate> certs;
  certs.push_back(MakeCertificate({}));
  size_t apart = 0;  // index of a certificate in another slot of four than certs[0]
  size_t same = 0;   // ... and of one in the same slot
  while (apart == 0 || same == 0) {
    REQUIRE(certs.size() < 200);
    certs.push_back(MakeCertificate({}));
    const size_t i = certs.size() - 1;
    const bool equal = SlotOf(certs[0].cert, 4) == SlotOf(certs[i].cert, 4);
    if (equal && same == 0) same = i;
    if (!equal && apart == 0) apart = i;
  }
  CertificateFacts got;
  CertificateCache three(3);
  for (int round = 0; round < 2; ++round) {
    three.Fill(certs[0].cert, false, digests, &got);
    three.Fill(certs[apart].cert, false, digests, &got);
  }
  CHECK(three.misses() == 2);
  CHECK(three.hits() == 2);

  CertificateCache four(4);
  for (int round = 0; round < 2; ++round) {
    four.Fill(certs[0].cert, false, digests, &got);
    four.Fill(certs[same].cert, false, digests, &got);
  }
  CHECK(four.misses() == 4);
  CHECK(four.hits() == 0);

  CertificateCache none(0);
  none.Fill(certs[0].cert, false, digests, &got);
  none.Fill(certs[apart].cert, false, digests, &got);
  none.Fill(certs[0].cert, false, digests, &got);
  CHECK(none.misses() == 3);
  CHECK(got == Extracted(certs[0].cert, false));
}

TEST_CASE("CertificateCacheHoldsAtMostItsSlots") {
  // 64 certificates through 8 slots: at most 8 are remembered, so a second pass hits at most 8.
  const CertificateDigests digests;
  std::vector<TestCertificate> certs;
  for (int i = 0; i < 64; ++i) certs.push_back(MakeCertificate({}));
  CertificateCache cache(8);
  CertificateFacts got;
  for (const TestCertificate& t : certs) cache.Fill(t.cert, false, digests, &got);
  CHECK(cache.misses() == 64);
  for (const TestCertificate& t : certs) {
    cache.Fill(t.cert, false, digests, &got);
    CHECK(got == Extracted(t.cert, false));
  }
  CHECK(cache.hits() <= 8);
  CHECK(cache.hits() + cache.misses() == 128);
}

}  // namespace
}  // namespace mailsweep::probes
