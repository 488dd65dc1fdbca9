// The OpenSSL handshake baseline for the probe benchmark: the client-side CPU of one TLS
// handshake with probes::TlsClient's settings (the cost a STARTTLS probe cannot avoid), against
// an in-process server over memory BIOs. Only the client's calls are timed (thread CPU clock).
// Prints one JSON object per configuration.
//   tls_handshake_bench [handshakes [CERT.pem KEY.pem]]
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "probes/tls_client.h"

namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Server {
  SSL_CTX* ctx;
  EVP_PKEY* key;
  X509* cert;
};

// A server context offering TLS 1.0 up to `max_version` at security level 0 (as the prober does).
SSL_CTX* ServerContext(int max_version, X509* cert, EVP_PKEY* key) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  return ctx;
}

// `cert_file`/`key_file` non-null: the server presents that certificate (the lab's, to compare
// with probes of the lab servers); else a fresh RSA-2048 certificate without extensions.
Server MakeServer(int max_version, const char* cert_file, const char* key_file) {
  Server s;
  if (cert_file != nullptr) {
    FILE* f = fopen(cert_file, "r");
    FILE* k = fopen(key_file, "r");
    s.cert = f ? PEM_read_X509(f, nullptr, nullptr, nullptr) : nullptr;
    s.key = k ? PEM_read_PrivateKey(k, nullptr, nullptr, nullptr) : nullptr;
    if (f) fclose(f);
    if (k) fclose(k);
    if (s.cert == nullptr || s.key == nullptr) {
      fprintf(stderr, "tls_handshake_bench: cannot read %s / %s\n", cert_file, key_file);
      exit(1);
    }
    s.ctx = ServerContext(max_version, s.cert, s.key);
    return s;
  }
  s.key = EVP_RSA_gen(2048);
  s.cert = X509_new();
  X509_set_version(s.cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(s.cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(s.cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(s.cert), 86400);
  X509_set_pubkey(s.cert, s.key);
  X509_NAME* name = X509_get_subject_name(s.cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("bench.lab.example"), -1, -1,
                             0);
  X509_set_issuer_name(s.cert, name);
  X509_sign(s.cert, s.key, EVP_sha256());
  s.ctx = ServerContext(max_version, s.cert, s.key);
  return s;
}

// One handshake; returns the client's CPU seconds, or -1 on failure.
double OneHandshake(const mailsweep::probes::TlsContext* ctx, SSL_CTX* server_ctx, bool with_facts,
                    bool with_reply) {
  SSL* server = SSL_new(server_ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(in, -1);
  SSL_set_bio(server, in, out);
  SSL_set_accept_state(server);
  double cpu = 0;
  double t0 = ThreadCpuSeconds();
  auto* client = new mailsweep::probes::TlsClient(ctx, "");
  auto st = client->Handshake();
  cpu += ThreadCpuSeconds() - t0;
  char buf[32768];
  for (int round = 0; round < 10 && st == mailsweep::probes::TlsClient::Status::kInProgress;
       ++round) {
    auto o = client->pending_output();
    BIO_write(in, o.data(), static_cast<int>(o.size()));
    client->ConsumeOutput(o.size());
    SSL_do_handshake(server);
    int n;
    t0 = ThreadCpuSeconds();
    while ((n = BIO_read(out, buf, sizeof(buf))) > 0) {
      client->FeedInput({reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(n)});
    }
    st = client->Handshake();
    cpu += ThreadCpuSeconds() - t0;
  }
  if (with_reply && st == mailsweep::probes::TlsClient::Status::kOk) {
    // One reply inside TLS, as a probe reads its capabilities: the client also processes the
    // TLS 1.3 session tickets the server sent after the handshake.
    auto o = client->pending_output();
    BIO_write(in, o.data(), static_cast<int>(o.size()));
    client->ConsumeOutput(o.size());
    SSL_write(server, "+OK\r\n", 5);
    int n;
    t0 = ThreadCpuSeconds();
    while ((n = BIO_read(out, buf, sizeof(buf))) > 0) {
      client->FeedInput({reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(n)});
    }
    uint8_t plain[64];
    for (int i = 0; i < 4 && client->ReadPlain(plain, sizeof(plain)) == 0; ++i) {
    }
    cpu += ThreadCpuSeconds() - t0;
  }
  t0 = ThreadCpuSeconds();
  if (with_facts) {
    mailsweep::results::TlsFacts facts;
    client->FillFacts(&facts);
  }
  delete client;
  cpu += ThreadCpuSeconds() - t0;
  SSL_free(server);
  return st == mailsweep::probes::TlsClient::Status::kOk ? cpu : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  const char* cert_file = argc > 3 ? argv[2] : nullptr;
  const char* key_file = argc > 3 ? argv[3] : nullptr;
  auto ctx = mailsweep::probes::TlsContext::Create({});
  if (!ctx.ok()) return 1;
  struct Config {
    const char* name;
    int max_version;
    bool facts;
    bool reply;
  } configs[] = {{"tls1.3", TLS1_3_VERSION, false, false},
                 {"tls1.3+facts", TLS1_3_VERSION, true, false},
                 {"tls1.3+facts+reply", TLS1_3_VERSION, true, true},
                 {"tls1.2", TLS1_2_VERSION, false, false},
                 {"tls1.0", TLS1_VERSION, false, false}};
  for (const Config& c : configs) {
    Server s = MakeServer(c.max_version, cert_file, key_file);
    double total = 0;
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      double cpu = OneHandshake(ctx->get(), s.ctx, c.facts, c.reply);
      if (cpu >= 0) {
        total += cpu;
        ++ok;
      }
    }
    printf(
        "{\"bench\":\"tls_client_handshake\",\"config\":\"%s\",\"handshakes\":%d,\"ok\":%d,"
        "\"client_cpu_us_per_handshake\":%.1f}\n",
        c.name, n, ok, ok ? total / ok * 1e6 : 0.0);
    SSL_CTX_free(s.ctx);
    X509_free(s.cert);
    EVP_PKEY_free(s.key);
  }
  return 0;
}
