#include "probes/certificate_cache.h"

#include <bit>
#include <cstring>

namespace mailsweep::probes {

CertificateCache::CertificateCache(size_t slots) : slots_(std::bit_ceil(slots < 1 ? 1 : slots)) {}

void CertificateCache::Fill(X509* cert, bool keep_der, const CertificateDigests& digests,
                            results::CertificateFacts* facts) {
  unsigned char sha256[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (digests.sha256 == nullptr || X509_digest(cert, digests.sha256, sha256, &len) != 1 ||
      len != 32) {
    ExtractCertificateFacts(cert, keep_der, facts, &digests);
    return;
  }
  uint64_t index;
  memcpy(&index, sha256, sizeof(index));
  std::unique_ptr<Entry>& slot = slots_[index & (slots_.size() - 1)];
  if (slot != nullptr && slot->keep_der == keep_der &&
      memcmp(slot->facts.sha256.data(), sha256, 32) == 0) {
    ++hits_;
    *facts = slot->facts;
    return;
  }
  ++misses_;
  ExtractCertificateFacts(cert, keep_der, facts, &digests);
  if (slot == nullptr) slot = std::make_unique<Entry>();
  slot->facts = *facts;
  slot->keep_der = keep_der;
}

}  // namespace mailsweep::probes
