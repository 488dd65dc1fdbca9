// A bounded memo of leaf-certificate facts for one prober thread. The same certificate is served
// by many hosts (a hosting provider's shared certificate, an appliance's default one), and its
// facts (names, serial, key, and the signature check behind `self_signed`) cost about thirty times
// its SHA-256. Keyed by the SHA-256 of the DER, so a hit gives exactly what
// ExtractCertificateFacts would; a miss extracts and remembers.
//
// Used by TlsClient::FillFacts on behalf of a ProberLoop, which owns one. Direct-mapped: `slots`
// entries (a power of two), a newer certificate replaces the one in its slot, so memory stays
// bounded (about a kilobyte per slot in use) whatever the scan sees. Not thread-safe: one per
// thread.
#ifndef MAILSWEEP_PROBES_CERTIFICATE_CACHE_H_
#define MAILSWEEP_PROBES_CERTIFICATE_CACHE_H_

#include <openssl/x509.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "probes/certificate_facts.h"
#include "results/format/records.h"

namespace mailsweep::probes {

class CertificateCache {
 public:
  explicit CertificateCache(size_t slots = 1024);
  CertificateCache(const CertificateCache&) = delete;
  CertificateCache& operator=(const CertificateCache&) = delete;

  // Fills `facts` for `cert` (borrowed), as ExtractCertificateFacts(cert, keep_der, facts,
  // &digests) does.
  void Fill(X509* cert, bool keep_der, const CertificateDigests& digests,
            results::CertificateFacts* facts);

  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    results::CertificateFacts facts;
    bool keep_der;
  };
  std::vector<std::unique_ptr<Entry>> slots_;  // allocated on first use
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_CERTIFICATE_CACHE_H_
