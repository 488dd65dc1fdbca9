// The OpenSSL handshake baselines for the probe benchmark, with probes::TlsClient's settings:
//  - in memory: the client-side CPU of one TLS handshake against an in-process server over
//    memory BIOs; only the client's calls are timed (thread CPU clock). OpenSSL's cost alone.
//  Both fill certificate facts through a CertificateCache, as the prober does: the server's
//  certificate repeats, so after the first handshake its facts cost a SHA-256.
//  - --connect: one TLS connection to a real server (an implicit-TLS port of the lab), done the
//    simplest way: blocking connect(), handshake, certificate facts, the server's first reply
//    inside TLS, close. Timed like `mailsweep probe` (process user+sys, so it includes the
//    kernel's TCP work); the cost a probe that does nothing but TLS cannot avoid.
// Prints one JSON object per configuration.
//   tls_handshake_bench [handshakes [CERT.pem KEY.pem]]
//   tls_handshake_bench --connect IP:PORT [--source IP] [handshakes]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "bench/cpu_time.h"
#include "probes/tls_client.h"
#include "targets/ipv4.h"

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
                    bool with_reply, mailsweep::probes::CertificateCache* cache) {
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
    client->FillFacts(&facts, cache);
  }
  delete client;
  cpu += ThreadCpuSeconds() - t0;
  SSL_free(server);
  return st == mailsweep::probes::TlsClient::Status::kOk ? cpu : -1;
}

bool SendAll(int fd, mailsweep::probes::TlsClient* client) {
  auto o = client->pending_output();
  while (!o.empty()) {
    ssize_t w = send(fd, o.data(), o.size(), MSG_NOSIGNAL);
    if (w <= 0) return false;
    client->ConsumeOutput(static_cast<size_t>(w));
    o = client->pending_output();
  }
  return true;
}

// One TLS connection over TCP, blocking: connect, handshake, facts, first reply, close.
bool OneConnection(const mailsweep::probes::TlsContext* ctx, const sockaddr_in& dst,
                   const sockaddr_in* src, mailsweep::probes::CertificateCache* cache) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const int one = 1;
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  bool ok =
      (src == nullptr || bind(fd, reinterpret_cast<const sockaddr*>(src), sizeof(*src)) == 0) &&
      connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof(dst)) == 0;
  mailsweep::probes::TlsClient client(ctx, "");
  uint8_t buf[16384];
  auto st = ok ? client.Handshake() : mailsweep::probes::TlsClient::Status::kFailed;
  while (st == mailsweep::probes::TlsClient::Status::kInProgress) {
    ssize_t r;
    if (!SendAll(fd, &client) || (r = recv(fd, buf, sizeof(buf), 0)) <= 0) {
      st = mailsweep::probes::TlsClient::Status::kFailed;
      break;
    }
    client.FeedInput({buf, static_cast<size_t>(r)});
    st = client.Handshake();
  }
  ok = st == mailsweep::probes::TlsClient::Status::kOk && SendAll(fd, &client);
  if (ok) {
    mailsweep::results::TlsFacts facts;
    client.FillFacts(&facts, cache);
    int got = 0;
    while (got == 0) {  // the greeting (after any TLS 1.3 session tickets)
      ssize_t r = recv(fd, buf, sizeof(buf), 0);
      if (r <= 0) break;
      client.FeedInput({buf, static_cast<size_t>(r)});
      got = client.ReadPlain(buf, sizeof(buf));
    }
    ok = got > 0;
  }
  close(fd);
  return ok;
}

// "IP" or "IP:PORT" (targets' IPv4 parser) into `out`.
bool ParseAddress(std::string_view text, sockaddr_in* out) {
  memset(out, 0, sizeof(*out));
  out->sin_family = AF_INET;
  if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    out->sin_port = htons(static_cast<uint16_t>(atoi(std::string(text.substr(colon + 1)).c_str())));
    text = text.substr(0, colon);
  }
  auto address = mailsweep::targets::ParseIpv4(text);
  if (!address.ok()) return false;
  out->sin_addr.s_addr = htonl(*address);
  return true;
}

int RunOverTcp(int argc, char** argv) {
  sockaddr_in dst, src;
  bool have_src = false;
  int n = 500;
  if (argc < 3 || !ParseAddress(argv[2], &dst) || dst.sin_port == 0) {
    fprintf(stderr, "usage: tls_handshake_bench --connect IP:PORT [--source IP] [handshakes]\n");
    return 2;
  }
  for (int i = 3; i < argc; ++i) {
    if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
      if (!ParseAddress(argv[++i], &src)) return 2;
      have_src = true;
    } else {
      n = atoi(argv[i]);
    }
  }
  auto ctx = mailsweep::probes::TlsContext::Create({});
  if (!ctx.ok()) return 1;
  mailsweep::probes::CertificateCache cache;  // as each prober thread has
  // A warm-up connection: OpenSSL's lazy initialisation, and the certificate into the cache.
  OneConnection(ctx->get(), dst, have_src ? &src : nullptr, &cache);
  int ok = 0;
  const double t0 = mailsweep::bench::CpuSeconds(RUSAGE_SELF);
  for (int i = 0; i < n; ++i) {
    ok += OneConnection(ctx->get(), dst, have_src ? &src : nullptr, &cache);
  }
  const double cpu = mailsweep::bench::CpuSeconds(RUSAGE_SELF) - t0;
  printf(
      "{\"bench\":\"tls_connection\",\"config\":\"tcp+tls+facts+reply\",\"target\":\"%s\","
      "\"connections\":%d,\"ok\":%d,\"cpu_us_per_connection\":%.1f}\n",
      argv[2], n, ok, ok ? cpu / n * 1e6 : 0.0);
  return ok == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--connect") == 0) return RunOverTcp(argc, argv);
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
    mailsweep::probes::CertificateCache cache;  // as each prober thread has
    double total = 0;
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      double cpu = OneHandshake(ctx->get(), s.ctx, c.facts, c.reply, &cache);
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
