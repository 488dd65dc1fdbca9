// The TLS client of a probe, over OpenSSL 3 memory BIOs so the caller keeps the socket: it feeds
// received ciphertext in, takes ciphertext out to send, and exchanges plaintext with the session.
// TlsContext is the per-process (or per-loop) SSL_CTX: TLS 1.0-1.3 offered, security level 0 so
// legacy servers (TLS 1.0, SHA-1, small keys) still count as TLS, no verification (facts are
// recorded instead), legacy renegotiation allowed, a bound on the certificate list.
//
// Thread rules: a TlsContext may be shared by threads (SSL_CTX is); a TlsClient belongs to one
// thread. Memory: a TlsClient exists only while a connection is in TLS (tens of KiB in OpenSSL).
//
// Example:
//   auto ctx = TlsContext::Create({});
//   TlsClient tls(ctx->get(), /*sni=*/"");
//   tls.Handshake();                       // kInProgress; ClientHello is now pending output
//   send(fd, tls.pending_output()); tls.ConsumeOutput(n);
//   tls.FeedInput(received); tls.Handshake() ... kOk -> tls.FillFacts(&record.tls)
#ifndef MAILSWEEP_PROBES_TLS_CLIENT_H_
#define MAILSWEEP_PROBES_TLS_CLIENT_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "probes/certificate_cache.h"
#include "probes/certificate_facts.h"
#include "results/format/records.h"

namespace mailsweep::probes {

struct TlsOptions {
  uint32_t max_cert_list = 64 * 1024;  // bytes of certificate chain accepted from a server
  bool keep_der = false;               // store the leaf certificate's DER in the record
  // Cipher string for TLS <= 1.2; @SECLEVEL=0 is what makes TLS 1.0/SHA-1 servers reachable.
  std::string ciphers = "ALL:@SECLEVEL=0";
};

class TlsContext {
 public:
  static absl::StatusOr<std::unique_ptr<TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  const TlsOptions& options() const { return options_; }
  const CertificateDigests& digests() const { return digests_; }

 private:
  TlsContext(SSL_CTX* ctx, TlsOptions options) : ctx_(ctx), options_(std::move(options)) {}
  SSL_CTX* ctx_;
  TlsOptions options_;
  CertificateDigests digests_;
};

class TlsClient {
 public:
  enum class Status : uint8_t { kInProgress, kOk, kFailed };

  // `context` must outlive the client. `sni` empty: no server_name extension.
  TlsClient(const TlsContext* context, std::string_view sni);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Ciphertext received from the server.
  void FeedInput(std::span<const uint8_t> data);
  // Drives the handshake as far as the input allows.
  Status Handshake();
  // Ciphertext to send; valid until the next call. ConsumeOutput(n) after sending n bytes.
  std::span<const uint8_t> pending_output() const;
  void ConsumeOutput(size_t n);
  // After kOk: plaintext from the server into `buf`. Returns bytes, 0 when none is buffered,
  // -1 when the server closed TLS or the stream is broken.
  int ReadPlain(uint8_t* buf, size_t cap);
  // After kOk: queues plaintext; its ciphertext appears in pending_output().
  bool WritePlain(std::string_view data);
  // Version, cipher, chain length and leaf certificate facts (after kOk); or the failure text.
  // `cache` (optional, the caller's thread's): certificates seen before are not examined again.
  void FillFacts(results::TlsFacts* facts, CertificateCache* cache = nullptr) const;
  const std::string& failure() const { return failure_; }

 private:
  const TlsContext* context_;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // network -> OpenSSL
  BIO* out_ = nullptr;  // OpenSSL -> network
  std::string failure_;
};

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_TLS_CLIENT_H_
