// Facts about an X.509 certificate for a ProbeRecord: fingerprints, names, serial, validity,
// self-signed, key and signature algorithms. Used by TlsClient on the server's leaf certificate.
// Pure function over OpenSSL objects; thread-safe for distinct certificates.
#ifndef MAILSWEEP_PROBES_CERTIFICATE_FACTS_H_
#define MAILSWEEP_PROBES_CERTIFICATE_FACTS_H_

#include <openssl/x509.h>

#include "results/records.h"

namespace mailsweep::probes {

// Fills `facts` from `cert` (borrowed). `keep_der`: also store the DER encoding.
void ExtractCertificateFacts(X509* cert, bool keep_der, results::CertificateFacts* facts);

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_CERTIFICATE_FACTS_H_
