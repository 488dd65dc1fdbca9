// The one JSON schema of records (mailsweep-agg dump, and probe/scan/sweep text output): field
// names, escaping of what servers send, flag names; checked by parsing nothing but the text.
#include "results/format/record_text.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "results/format/records.h"

namespace mailsweep::results {
namespace {

ProbeRecord Sample() {
  ProbeRecord r;
  r.address = 0xC6120005;
  r.port = 143;
  r.protocol = Protocol::kImap;
  r.outcome = ProbeOutcome::kStartTlsOk;
  r.flags = kStartTlsAdvertised | kTlsHandshakeOk | kCapabilitiesRead;
  r.start_us = 1700000000000042;
  // A localised greeting (valid UTF-8 passes), a quote, CR LF, a control byte, a lone 0xff.
  r.banner = "* OK \"quoted\" \xd0\x93\xd0\xbe\xd1\x82\xd0\xbe\xd0\xb2 ready\r\n\x01\xff";
  r.tls.version = 0x0301;
  r.tls.cipher = "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA";
  r.tls.chain_length = 2;
  r.tls.leaf.emplace();
  r.tls.leaf->subject_cn = "mail, inc";
  r.tls.leaf->sha256[0] = 0xab;
  r.tls.leaf->not_after = 1800000000;
  return r;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("record text: probe JSON names its fields and escapes server bytes") {
  const std::string j = ProbeToJson(Sample());
  CHECK(j.rfind("{\"type\":\"probe\",\"ip\":\"198.18.0.5\",\"port\":143,", 0) == 0);
  CHECK(Has(j, "\"protocol\":\"imap\""));
  CHECK(Has(j, "\"timestamp\":\"2023-11-14T22:13:20.000042Z\""));
  CHECK(Has(j, "\"status\":\"success\",\"outcome\":\"starttls_ok\""));
  CHECK(Has(j, "\"starttls_advertised\":true,\"starttls_accepted\":false,\"tls_ok\":true"));
  CHECK(Has(j, "\"flags\":[\"starttls_advertised\",\"tls_handshake_ok\",\"capabilities_read\"]"));
  CHECK(Has(j, "\\\"quoted\\\" \xd0\x93\xd0\xbe\xd1\x82\xd0\xbe\xd0\xb2 ready\\r\\n\\u0001\\u00ff"));
  CHECK(Has(j, "\"tls\":{\"version\":\"TLSv1.0\",\"cipher_suite\":"
               "\"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA\",\"chain_length\":2,\"certificate\":{"));
  CHECK(Has(j, "\"fingerprint_sha256\":\"ab00"));
  CHECK(Has(j, "\"subject\":{\"common_name\":\"mail, inc\""));
  CHECK(Has(j, "\"end\":\"2027-01-15T08:00:00.000000Z\""));
  CHECK(j.back() == '}');
  CHECK(j.find('\n') == std::string::npos);
}

TEST_CASE("record text: no tls object without a handshake; failures are named") {
  ProbeRecord r = Sample();
  r.tls = {};
  r.flags = 0;
  r.outcome = ProbeOutcome::kPlaintextOnly;
  std::string j = ProbeToJson(r);
  CHECK_FALSE(Has(j, "\"tls\":"));
  CHECK(Has(j, "\"flags\":[]"));
  r.outcome = ProbeOutcome::kStartTlsHandshakeFailed;
  r.tls.failure = "handshake: wrong version number";
  j = ProbeToJson(r);
  CHECK(Has(j, "\"status\":\"tls-handshake-error\""));
  CHECK(Has(j, "\"failure\":\"handshake: wrong version number\""));
  CHECK_FALSE(Has(j, "\"certificate\":"));
}

TEST_CASE("record text: a target's domain follows the address, as in ZGrab2") {
  ProbeRecord r = Sample();
  r.domain = "imap.mail.example";
  CHECK(ProbeToJson(r).rfind(
            "{\"type\":\"probe\",\"ip\":\"198.18.0.5\",\"domain\":\"imap.mail.example\",\"port\":143,", 0) == 0);
}

TEST_CASE("record text: probe JSON says how many attempts the record took") {
  ProbeRecord r = Sample();
  CHECK(Has(ProbeToJson(r), "\"duration_us\":0,\"attempts\":1,"));
  r.attempts = 3;
  r.outcome = ProbeOutcome::kConnectTimeout;
  r.flags |= kHeloFallback;
  const std::string j = ProbeToJson(r);
  CHECK(Has(j, "\"duration_us\":0,\"attempts\":3,"));
  CHECK(Has(j, "\"capabilities_read\",\"helo_fallback\"]"));
}

TEST_CASE("record text: the dump CSV ends with attempts, empty for sweep records") {
  const std::string header = kRecordCsvHeader();
  CHECK(header ==
        "type,ip,port,protocol,status,ttl,window,timestamp,flags,tls_version,cipher,"
        "cert_sha256,banner,domain,attempts\n");
  ProbeRecord r = Sample();
  r.banner = "+OK ready";
  r.tls.leaf.reset();
  r.attempts = 4;
  r.domain = "imap.mail.example";
  CHECK(ProbeToCsv(r) ==
        "probe,198.18.0.5,143,imap,starttls_ok,,,2023-11-14T22:13:20.000042Z,"
        "starttls_advertised|tls_handshake_ok|capabilities_read,TLSv1.0,"
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,,+OK ready,imap.mail.example,4\n");
  SweepRecord s;
  s.address = 0xC6120007;
  s.port = 25;
  s.ttl = 64;
  s.time_us = 1700000000000000;
  const std::string sweep = SweepToCsv(s);
  CHECK(sweep == "sweep,198.18.0.7,25,,open,64,0,2023-11-14T22:13:20.000000Z,,,,,,,\n");
  CHECK(std::count(sweep.begin(), sweep.end(), ',') ==
        std::count(header.begin(), header.end(), ','));
}

TEST_CASE("record text: sweep JSON uses ZMap's names") {
  SweepRecord s;
  s.address = 0xC6120007;
  s.port = 25;
  s.status = SweepStatus::kClosed;
  s.ttl = 64;
  s.time_us = 1700000000000000;
  CHECK(SweepToJson(s) ==
        "{\"type\":\"sweep\",\"saddr\":\"198.18.0.7\",\"sport\":25,\"classification\":\"rst\","
        "\"success\":false,\"ttl\":64,\"window\":0,\"timestamp\":\"2023-11-14T22:13:20.000000Z\"}");
}

TEST_CASE("record text: flag names follow the ProbeFlag bits") {
  CHECK(FlagNames(kStartTlsAdvertised | kTlsHandshakeOk, "|") ==
        "starttls_advertised|tls_handshake_ok");
  CHECK(FlagNames(kStartTlsTriedBlind | kCapabilitiesReadTls, ",") ==
        "starttls_tried_blind,capabilities_read_tls");
  CHECK(FlagNames(kHeloFallback, "|") == "helo_fallback");
  CHECK(FlagNames(1u << 13, "|") == "bit13");
  CHECK(FlagNames(1u << 20, "|") == "bit20");
  CHECK(FlagNames(0, "|").empty());
}

}  // namespace
}  // namespace mailsweep::results
