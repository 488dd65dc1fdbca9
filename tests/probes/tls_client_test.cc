// TlsClient against an in-process OpenSSL server over memory BIOs: versions from TLS 1.0 (legacy
// servers must count as TLS) to 1.3, certificate facts, garbage instead of a ServerHello.
#include "probes/tls_client.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "probes/certificate_cache.h"
#include "tests/probes/test_certificates.h"

namespace mailsweep::probes {
namespace {

using testing::CertificateSpec;
using testing::KeyType;
using testing::MakeCertificate;
using testing::TestCertificate;

TestCertificate MakeSelfSigned(const char* cn, bool rsa) {
  CertificateSpec spec;
  spec.cn = cn;
  spec.key = rsa ? KeyType::kRsa1024 : KeyType::kEcP256;
  return MakeCertificate(spec);
}

// An in-process server: its own SSL with memory BIOs.
struct Server {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  BIO* in = nullptr;
  BIO* out = nullptr;
  Server(const TestCertificate& kc, int min_version, int max_version, const char* ciphers) {
    ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, min_version);
    SSL_CTX_set_max_proto_version(ctx, max_version);
    SSL_CTX_set_cipher_list(ctx, ciphers);
    SSL_CTX_use_certificate(ctx, kc.cert);
    SSL_CTX_use_PrivateKey(ctx, kc.key);
    ssl = SSL_new(ctx);
    in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_accept_state(ssl);
  }
  ~Server() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
};

// Moves bytes both ways until the client's handshake ends (bounded).
TlsClient::Status Pump(TlsClient* client, Server* server) {
  TlsClient::Status st = client->Handshake();
  for (int round = 0; round < 20 && st == TlsClient::Status::kInProgress; ++round) {
    auto out = client->pending_output();
    BIO_write(server->in, out.data(), static_cast<int>(out.size()));
    client->ConsumeOutput(out.size());
    SSL_do_handshake(server->ssl);
    char buf[16384];
    int n;
    while ((n = BIO_read(server->out, buf, sizeof(buf))) > 0) {
      client->FeedInput({reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(n)});
    }
    st = client->Handshake();
  }
  // Deliver the client's Finished so the server completes too.
  auto out = client->pending_output();
  BIO_write(server->in, out.data(), static_cast<int>(out.size()));
  client->ConsumeOutput(out.size());
  SSL_do_handshake(server->ssl);
  return st;
}

TEST_CASE("Tls13HandshakeAndCertificateFacts") {
  const TestCertificate kc = MakeSelfSigned("mail.lab.example", /*rsa=*/false);
  Server server(kc, TLS1_2_VERSION, TLS1_3_VERSION, "DEFAULT");
  auto ctx = TlsContext::Create({});
  REQUIRE(ctx.ok());
  TlsClient client(ctx->get(), "");
  REQUIRE(Pump(&client, &server) == TlsClient::Status::kOk);
  results::TlsFacts facts;
  client.FillFacts(&facts);
  CHECK(facts.version == 0x0304);
  CHECK(facts.cipher.rfind("TLS_", 0) == 0);
  CHECK(facts.chain_length == 1);
  REQUIRE(facts.leaf.has_value());
  CHECK(facts.leaf->subject_cn == "mail.lab.example");
  CHECK(facts.leaf->subject_o == "Lab Mail");
  CHECK(facts.leaf->subject_c == "DE");
  CHECK(facts.leaf->issuer_cn == "mail.lab.example");
  CHECK(facts.leaf->self_signed);
  CHECK(facts.leaf->key_algorithm == "EC");
  CHECK(facts.leaf->key_bits == 256);
  CHECK(facts.leaf->serial_hex == "1234ABCD");
  CHECK(facts.leaf->signature_algorithm == "ecdsa-with-SHA256");
  CHECK(facts.leaf->not_before == 1704067200);  // test_certificates.h's default dates
  CHECK(facts.leaf->not_after == 1735689599);
  CHECK(facts.leaf->sha256 != std::array<uint8_t, 32>{});
  CHECK(facts.leaf->md5 != std::array<uint8_t, 16>{});
  CHECK(facts.failure.empty());

  // Plaintext both ways through the tunnel.
  REQUIRE(client.WritePlain("CAPA\r\n"));
  auto out = client.pending_output();
  BIO_write(server.in, out.data(), static_cast<int>(out.size()));
  client.ConsumeOutput(out.size());
  char got[64];
  int n = SSL_read(server.ssl, got, sizeof(got));
  REQUIRE(n == 6);
  CHECK(std::string(got, 6) == "CAPA\r\n");
  SSL_write(server.ssl, "+OK\r\n", 5);
  char buf[4096];
  int m = BIO_read(server.out, buf, sizeof(buf));
  client.FeedInput({reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(m)});
  uint8_t plain[64];
  int k = 0;
  for (int i = 0; i < 3 && k == 0; ++i) k = client.ReadPlain(plain, sizeof(plain));
  REQUIRE(k == 5);
  CHECK(std::string(reinterpret_cast<char*>(plain), 5) == "+OK\r\n");
}

TEST_CASE("Tls10OnlyLegacyServerStillCountsAsTls") {
  const TestCertificate kc = MakeSelfSigned("legacy.lab.example", /*rsa=*/true);
  Server server(kc, TLS1_VERSION, TLS1_VERSION, "DEFAULT:@SECLEVEL=0");
  auto ctx = TlsContext::Create({});
  REQUIRE(ctx.ok());
  TlsClient client(ctx->get(), "legacy.lab.example");
  REQUIRE(Pump(&client, &server) == TlsClient::Status::kOk);
  results::TlsFacts facts;
  client.FillFacts(&facts);
  CHECK(facts.version == 0x0301);
  CHECK(facts.leaf->key_algorithm == "RSA");
  CHECK(facts.leaf->key_bits == 1024);
  CHECK(facts.leaf->signature_algorithm == "sha256WithRSAEncryption");
}

TEST_CASE("GarbageInsteadOfServerHelloFails") {
  auto ctx = TlsContext::Create({});
  REQUIRE(ctx.ok());
  TlsClient client(ctx->get(), "");
  REQUIRE(client.Handshake() == TlsClient::Status::kInProgress);
  CHECK(!client.pending_output().empty());  // the ClientHello
  std::string junk = "+OK Dovecot ready.\r\n";
  client.FeedInput({reinterpret_cast<const uint8_t*>(junk.data()), junk.size()});
  CHECK(client.Handshake() == TlsClient::Status::kFailed);
  results::TlsFacts facts;
  client.FillFacts(&facts);
  CHECK(!facts.failure.empty());
  CHECK(facts.version == 0);
  CHECK_FALSE(facts.leaf.has_value());
}

TEST_CASE("FillFactsThroughTheCache") {
  const TestCertificate kc = MakeSelfSigned("cached.lab.example", /*rsa=*/false);
  auto ctx = TlsContext::Create({});
  REQUIRE(ctx.ok());
  CertificateCache cache;
  results::TlsFacts first, second;
  for (results::TlsFacts* facts : {&first, &second}) {
    Server server(kc, TLS1_2_VERSION, TLS1_3_VERSION, "DEFAULT");
    TlsClient client(ctx->get(), "");
    REQUIRE(Pump(&client, &server) == TlsClient::Status::kOk);
    client.FillFacts(facts, &cache);
  }
  CHECK(cache.hits() == 1);
  REQUIRE(second.leaf.has_value());
  CHECK(second.leaf->subject_cn == "cached.lab.example");
  CHECK(second == first);
}

}  // namespace
}  // namespace mailsweep::probes
