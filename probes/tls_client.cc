#include "probes/tls_client.h"

#include <openssl/err.h>

#include "base/strings.h"
#include "probes/certificate_facts.h"

namespace mailsweep::probes {
namespace {

std::string LastError(const char* what) {
  unsigned long e = ERR_get_error();
  std::string text = what;
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    text += ": ";
    text += reason != nullptr ? reason : StrCat("error ", e);
  }
  ERR_clear_error();
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError(LastError("SSL_CTX_new"));
  SSL_CTX_set_security_level(ctx, 0);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    SSL_CTX_free(ctx);
    return absl::InternalError(LastError("protocol versions"));
  }
  if (SSL_CTX_set_cipher_list(ctx, options.ciphers.c_str()) != 1) {
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(StrCat("bad cipher string '", options.ciphers, "'"));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  // Servers from before RFC 5746 and servers that drop the connection without close_notify are
  // still servers we want facts about.
  SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF |
                               SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_max_cert_list(ctx, options.max_cert_list);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  return std::unique_ptr<TlsContext>(new TlsContext(ctx, options));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsClient::TlsClient(const TlsContext* context, std::string_view sni) : context_(context) {
  ssl_ = SSL_new(context->get());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || in_ == nullptr || out_ == nullptr) {
    failure_ = "out of memory";
    return;
  }
  BIO_set_mem_eof_return(in_, -1);  // empty input means "retry", not EOF
  SSL_set_bio(ssl_, in_, out_);     // ssl_ owns both now
  SSL_set_connect_state(ssl_);
  if (!sni.empty()) {
    std::string name(sni);
    SSL_set_tlsext_host_name(ssl_, name.c_str());
  }
}

TlsClient::~TlsClient() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
  } else {
    BIO_free(in_);
    BIO_free(out_);
  }
}

void TlsClient::FeedInput(std::span<const uint8_t> data) {
  if (ssl_ != nullptr && !data.empty()) BIO_write(in_, data.data(), static_cast<int>(data.size()));
}

TlsClient::Status TlsClient::Handshake() {
  if (ssl_ == nullptr) return Status::kFailed;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return Status::kOk;
  int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::kInProgress;
  if (err == SSL_ERROR_SSL) {
    failure_ = LastError("handshake");
  } else {
    failure_ = StrCat("handshake: ssl error ", err);
    ERR_clear_error();
  }
  return Status::kFailed;
}

std::span<const uint8_t> TlsClient::pending_output() const {
  if (out_ == nullptr) return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(out_, &data);
  if (n <= 0) return {};
  return {reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(n)};
}

void TlsClient::ConsumeOutput(size_t n) {
  // A memory BIO read advances its start; discard into a scratch buffer.
  char scratch[4096];
  while (n > 0) {
    int chunk = static_cast<int>(n < sizeof(scratch) ? n : sizeof(scratch));
    int got = BIO_read(out_, scratch, chunk);
    if (got <= 0) break;
    n -= static_cast<size_t>(got);
  }
}

int TlsClient::ReadPlain(uint8_t* buf, size_t cap) {
  if (ssl_ == nullptr) return -1;
  ERR_clear_error();
  int n = SSL_read(ssl_, buf, static_cast<int>(cap));
  if (n > 0) return n;
  int err = SSL_get_error(ssl_, n);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 0;
  ERR_clear_error();
  return -1;
}

bool TlsClient::WritePlain(std::string_view data) {
  if (ssl_ == nullptr || data.empty()) return ssl_ != nullptr;
  ERR_clear_error();
  int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  ERR_clear_error();
  return n == static_cast<int>(data.size());
}

void TlsClient::FillFacts(results::TlsFacts* facts, CertificateCache* cache) const {
  if (!failure_.empty()) facts->failure = failure_;
  if (ssl_ == nullptr || !SSL_is_init_finished(ssl_)) return;
  facts->version = static_cast<uint16_t>(SSL_version(ssl_));
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl_)) {
    const char* iana = SSL_CIPHER_standard_name(c);
    facts->cipher = iana != nullptr ? iana : SSL_CIPHER_get_name(c);
  }
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
  int n = chain != nullptr ? sk_X509_num(chain) : 0;
  facts->chain_length = static_cast<uint8_t>(n > 255 ? 255 : n);
  if (X509* leaf = SSL_get0_peer_certificate(ssl_)) {
    facts->leaf.emplace();
    if (cache != nullptr) {
      cache->Fill(leaf, context_->options().keep_der, context_->digests(), &*facts->leaf);
    } else {
      ExtractCertificateFacts(leaf, context_->options().keep_der, &*facts->leaf,
                              &context_->digests());
    }
  }
}

}  // namespace mailsweep::probes
