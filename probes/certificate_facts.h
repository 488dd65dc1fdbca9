// Facts about an X.509 certificate for a ProbeRecord: fingerprints, names, serial, validity,
// self-signed, key and signature algorithms. Used by TlsClient on the server's leaf certificate.
// Pure function over OpenSSL objects; thread-safe for distinct certificates.
#ifndef MAILSWEEP_PROBES_CERTIFICATE_FACTS_H_
#define MAILSWEEP_PROBES_CERTIFICATE_FACTS_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "results/format/records.h"

namespace mailsweep::probes {

// Message digests fetched once (OpenSSL 3's implicit fetch per call costs more than the digest
// of a certificate). Owned by TlsContext; may be shared by threads.
struct CertificateDigests {
  CertificateDigests();
  ~CertificateDigests();
  CertificateDigests(const CertificateDigests&) = delete;
  CertificateDigests& operator=(const CertificateDigests&) = delete;
  EVP_MD* sha256;
  EVP_MD* sha1;
  EVP_MD* md5;  // null under a provider without MD5 (FIPS): the field stays zero
};

// Fills `facts` from `cert` (borrowed). `keep_der`: also store the DER encoding. `digests`
// null: fetched for this call.
void ExtractCertificateFacts(X509* cert, bool keep_der, results::CertificateFacts* facts,
                             const CertificateDigests* digests = nullptr);

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_CERTIFICATE_FACTS_H_
