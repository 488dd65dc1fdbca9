// Transcript tests for probes::Session: real server greetings and replies, fed whole, byte by
// byte and in odd splits. Each transcript lists what the client must send and what the server
// answers; "<TLS>" stands for the handshake (the harness reports it established or failed).
#include "probes/session.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace mailsweep::probes {
namespace {

using results::ProbeOutcome;
using results::ProbeRecord;

struct Turn {
  std::string client;  // what the session must send first ("" for the greeting, "<TLS>",
                       // "<TLS-FAIL>")
  std::string server;  // what the server answers
};

struct Run {
  ProbeRecord rec;
  Action last;
  std::string last_bytes;
};

// Chunk size patterns: 0 = everything at once.
const std::vector<std::vector<size_t>> kSplits = {{0}, {1}, {2}, {3, 1, 5}, {7}, {13, 1, 2}};

Run Play(uint16_t port, const std::vector<Turn>& turns, const std::vector<size_t>& split,
         SessionOptions opt = {}) {
  Run run;
  run.rec.port = port;
  run.rec.protocol = results::ProtocolForPort(port);
  run.rec.tls_mode = results::TlsModeForPort(port);
  Session s(&run.rec, &opt);
  Action a = s.Start();
  for (size_t t = 0; t < turns.size(); ++t) {
    const Turn& turn = turns[t];
    INFO("turn " << t << " expects client '" << turn.client << "'");
    if (turn.client.empty()) {
      REQUIRE(a.step == Step::kWait);
    } else if (turn.client == "<TLS>" || turn.client == "<TLS-FAIL>") {
      REQUIRE(a.step == Step::kStartTls);
      REQUIRE(s.awaiting_tls());
      a = turn.client == "<TLS>" ? s.OnTlsEstablished() : s.OnTlsFailed();
      if (a.step == Step::kDone) break;
      if (turn.server.empty()) continue;
      // The client may have to speak first inside TLS (STARTTLS: capabilities again).
      if (a.step == Step::kSend) {
        REQUIRE(t + 1 < turns.size());
        continue;
      }
    } else {
      REQUIRE(a.step == Step::kSend);
      REQUIRE(std::string(a.bytes) == turn.client);
    }
    // Feed the server's answer in chunks; the session must not act before the answer is whole.
    const std::string& data = turn.server;
    size_t pos = 0, k = 0;
    while (pos < data.size()) {
      size_t n = split[k++ % split.size()];
      if (n == 0 || pos + n > data.size()) n = data.size() - pos;
      a = s.OnBytes(std::string_view(data).substr(pos, n));
      pos += n;
      if (a.step != Step::kWait) break;
    }
    if (a.step != Step::kDone && a.step != Step::kStartTls) {
      REQUIRE(pos == data.size());
    }
    if (a.step == Step::kDone) break;
  }
  run.last = a;
  run.last_bytes = std::string(a.bytes);
  REQUIRE(a.step == Step::kDone);
  REQUIRE(s.done());
  return run;
}

// Runs the transcript under every split and checks the outcomes agree; returns the first.
Run PlayAll(uint16_t port, const std::vector<Turn>& turns, SessionOptions opt = {}) {
  Run first = Play(port, turns, kSplits[0], opt);
  for (size_t i = 1; i < kSplits.size(); ++i) {
    INFO("split pattern " << i);
    Run r = Play(port, turns, kSplits[i], opt);
    REQUIRE(r.rec == first.rec);
    REQUIRE(r.last_bytes == first.last_bytes);
  }
  return first;
}

bool Has(const ProbeRecord& r, uint32_t flag) { return (r.flags & flag) != 0; }

// ---------------- POP3 ----------------

const char kDovecotCapa[] =
    "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\n"
    "SASL PLAIN LOGIN\r\n.\r\n";
const char kDovecotCapaTls[] =
    "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nUSER\r\n"
    "SASL PLAIN LOGIN\r\n.\r\n";

TEST_CASE("Pop3DovecotStlsCompletes") {
  Run r = PlayAll(110, {{"", "+OK Dovecot ready.\r\n"},
                        {"CAPA\r\n", kDovecotCapa},
                        {"STLS\r\n", "+OK Begin TLS negotiation now.\r\n"},
                        {"<TLS>", ""},
                        {"CAPA\r\n", kDovecotCapaTls}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
  CHECK(r.rec.banner == "+OK Dovecot ready.\r\n");
  CHECK(r.rec.capabilities == "CAPA TOP UIDL RESP-CODES PIPELINING AUTH-RESP-CODE STLS USER SASL");
  CHECK(r.rec.auth_mechanisms == "PLAIN LOGIN");
  CHECK(r.rec.capabilities_tls == "CAPA TOP UIDL RESP-CODES PIPELINING AUTH-RESP-CODE USER SASL");
  CHECK(r.rec.auth_mechanisms_tls == "PLAIN LOGIN");
  CHECK(Has(r.rec, results::kStartTlsAdvertised));
  CHECK(Has(r.rec, results::kStartTlsAccepted));
  CHECK(Has(r.rec, results::kTlsHandshakeOk));
  CHECK(Has(r.rec, results::kPlaintextLoginOffered));
  CHECK(Has(r.rec, results::kCapabilitiesRead));
  CHECK(Has(r.rec, results::kCapabilitiesReadTls));
  CHECK_FALSE(Has(r.rec, results::kPlaintextLeftover));
  CHECK(r.last_bytes == "QUIT\r\n");
}

TEST_CASE("Pop3DovecotUbuntuWithoutTlsIsPlaintextOnly") {
  Run r = PlayAll(110, {{"", "+OK Dovecot (Ubuntu) ready.\r\n"},
                        {"CAPA\r\n",
                         "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n"
                         "AUTH-RESP-CODE\r\nUSER\r\nSASL PLAIN\r\n.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK_FALSE(Has(r.rec, results::kStartTlsAdvertised));
  CHECK(Has(r.rec, results::kPlaintextLoginOffered));
  CHECK(r.last_bytes == "QUIT\r\n");
}

TEST_CASE("Pop3DovecotApopGreeting") {
  Run r = PlayAll(110, {{"", "+OK Dovecot ready. <1a2b.3c.4d5e6f7a@mail.example.org>\r\n"},
                        {"CAPA\r\n", "+OK\r\nSASL\r\n.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK_FALSE(Has(r.rec, results::kPlaintextLoginOffered));  // no USER, no PLAIN
  CHECK(r.rec.banner == "+OK Dovecot ready. <1a2b.3c.4d5e6f7a@mail.example.org>\r\n");
}

TEST_CASE("Pop3CourierErrToStlsIsRefused") {
  Run r = PlayAll(110, {{"", "+OK Hello there.\r\n"},
                        {"CAPA\r\n",
                         "+OK Here's what I can do:\r\nSTLS\r\nTOP\r\nUSER\r\nLOGIN-DELAY 10\r\n"
                         "PIPELINING\r\nUIDL\r\nIMPLEMENTATION Courier Mail Server\r\n.\r\n"},
                        {"STLS\r\n", "-ERR TLS support not available.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsRefused);
  CHECK(Has(r.rec, results::kStartTlsAdvertised));
  CHECK_FALSE(Has(r.rec, results::kStartTlsAccepted));
}

TEST_CASE("Pop3CyrusGreeting") {
  Run r = PlayAll(110,
                  {{"",
                    "+OK mail.example.org Cyrus POP3 v2.4.17-Debian-2.4.17+caldav~beta9-3 "
                    "server ready <1896.1699999999@mail.example.org>\r\n"},
                   {"CAPA\r\n",
                    "+OK List of capabilities follows\r\nSASL PLAIN\r\nSTLS\r\nEXPIRE NEVER\r\n"
                    "LOGIN-DELAY 0\r\nTOP\r\nUIDL\r\nPIPELINING\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
                    "USER\r\nIMPLEMENTATION Cyrus POP3 v2.4.17\r\n.\r\n"},
                   {"STLS\r\n", "+OK Begin TLS negotiation\r\n"},
                   {"<TLS-FAIL>", ""}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsHandshakeFailed);
  CHECK(Has(r.rec, results::kStartTlsAccepted));
  CHECK_FALSE(Has(r.rec, results::kTlsHandshakeOk));
  CHECK(r.last_bytes.empty());  // nothing in clear after a failed handshake
}

TEST_CASE("Pop3ExchangeEnglishAndLocalised") {
  const char* capa = "+OK\r\nTOP\r\nUIDL\r\nSASL NTLM GSSAPI PLAIN\r\nUSER\r\nSTLS\r\n.\r\n";
  for (const char* greeting : {"+OK The Microsoft Exchange POP3 service is ready.\r\n",
                               "+OK Der Microsoft Exchange POP3-Dienst ist bereit.\r\n",
                               "+OK Le service POP3 Microsoft Exchange est pr\xc3\xaat.\r\n"}) {
    Run r = PlayAll(110, {{"", greeting},
                          {"CAPA\r\n", capa},
                          {"STLS\r\n", "+OK Begin TLS negotiation.\r\n"},
                          {"<TLS>", ""},
                          {"CAPA\r\n", capa}});
    CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
    CHECK(r.rec.auth_mechanisms == "NTLM GSSAPI PLAIN");
  }
}

TEST_CASE("Pop3QmailWithoutCapaIsPlaintextOnly") {
  Run r = PlayAll(110, {{"", "+OK <12345.1700000000@mail.example.net>\r\n"},
                        {"CAPA\r\n", "-ERR authorization first\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK_FALSE(Has(r.rec, results::kCapabilitiesRead));
}

TEST_CASE("Pop3Popa3dBareOk") {
  Run r = PlayAll(110, {{"", "+OK\r\n"}, {"CAPA\r\n", "-ERR Unknown command\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK(r.rec.banner == "+OK\r\n");
}

TEST_CASE("Pop3BlindStlsRefusedStaysPlaintextOnly") {
  SessionOptions opt;
  opt.starttls_blind = true;
  Run r = PlayAll(110,
                  {{"", "+OK\r\n"},
                   {"CAPA\r\n", "+OK\r\nUSER\r\n.\r\n"},
                   {"STLS\r\n", "-ERR Unknown command\r\n"}},
                  opt);
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK(Has(r.rec, results::kStartTlsTriedBlind));
}

TEST_CASE("Pop3BlindStlsAcceptedByLyingServer") {
  SessionOptions opt;
  opt.starttls_blind = true;
  Run r = PlayAll(110,
                  {{"", "+OK\r\n"},
                   {"CAPA\r\n", "+OK\r\nUSER\r\n.\r\n"},
                   {"STLS\r\n", "+OK go\r\n"},
                   {"<TLS>", ""},
                   {"CAPA\r\n", "+OK\r\nUSER\r\n.\r\n"}},
                  opt);
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
  CHECK(Has(r.rec, results::kStartTlsTriedBlind));
  CHECK_FALSE(Has(r.rec, results::kStartTlsAdvertised));
}

TEST_CASE("Pop3PlaintextAfterStlsReplyIsRecordedAndDropped") {
  // Whole answer in one chunk: the extra line must not reach TLS.
  ProbeRecord rec;
  rec.port = 110;
  rec.protocol = results::Protocol::kPop3;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  REQUIRE(s.OnBytes("+OK ready\r\n").step == Step::kSend);
  REQUIRE(s.OnBytes("+OK\r\nSTLS\r\n.\r\n").step == Step::kSend);
  Action a = s.OnBytes("+OK Begin TLS\r\n+OK injected by a man in the middle\r\n");
  REQUIRE(a.step == Step::kStartTls);
  CHECK(Has(rec, results::kPlaintextLeftover));
  a = s.OnTlsEstablished();
  REQUIRE(a.step == Step::kSend);
  CHECK(a.bytes == "CAPA\r\n");
}

TEST_CASE("Pop3ErrGreetingIsServiceUnavailable") {
  Run r = PlayAll(110, {{"", "-ERR [SYS/TEMP] Server shutting down.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK(r.last_bytes.empty());
}

TEST_CASE("Pop3InUseGreetingIsServiceUnavailable") {
  Run r = PlayAll(110, {{"", "-ERR [IN-USE] Mailbox is locked by another session.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK(r.rec.banner == "-ERR [IN-USE] Mailbox is locked by another session.\r\n");
}

TEST_CASE("Pop3SysErrToCapaIsServiceUnavailable") {
  // RFC 3206: the server failed, it did not say it lacks CAPA (and so STLS).
  for (const char* err : {"-ERR [SYS/TEMP] Internal error occurred. Refer to server log.\r\n",
                          "-ERR [sys/perm] Disk full\r\n", "-ERR [SYS] broken\r\n"}) {
    Run r = PlayAll(110, {{"", "+OK Dovecot ready.\r\n"}, {"CAPA\r\n", err}});
    CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
    CHECK_FALSE(Has(r.rec, results::kCapabilitiesRead));
  }
}

TEST_CASE("Pop3OtherErrToCapaStaysPlaintextOnly") {
  for (const char* err : {"-ERR [SYSTEM] unknown code\r\n", "-ERR [AUTH] no\r\n",
                          "-ERR SYS/TEMP without brackets\r\n"}) {
    Run r = PlayAll(110, {{"", "+OK\r\n"}, {"CAPA\r\n", err}});
    CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  }
}

TEST_CASE("Pop3SysErrToCapaInsideTlsKeepsStartTlsOk") {
  Run r = PlayAll(110, {{"", "+OK\r\n"},
                        {"CAPA\r\n", "+OK\r\nSTLS\r\n.\r\n"},
                        {"STLS\r\n", "+OK Begin TLS\r\n"},
                        {"<TLS>", ""},
                        {"CAPA\r\n", "-ERR [SYS/TEMP] try later\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
  CHECK_FALSE(Has(r.rec, results::kCapabilitiesReadTls));
}

TEST_CASE("Pop3ImplicitTls995") {
  Run r = PlayAll(995, {{"<TLS>", "+OK Dovecot ready.\r\n"}, {"CAPA\r\n", kDovecotCapaTls}});
  CHECK(r.rec.outcome == ProbeOutcome::kImplicitTlsOk);
  CHECK(r.rec.banner == "+OK Dovecot ready.\r\n");
  CHECK(r.rec.capabilities.empty());
  CHECK(r.rec.capabilities_tls.find("USER") != std::string::npos);
  CHECK(Has(r.rec, results::kCapabilitiesReadTls));
}

TEST_CASE("Pop3ImplicitTlsHandshakeFails") {
  Run r = PlayAll(995, {{"<TLS-FAIL>", ""}});
  CHECK(r.rec.outcome == ProbeOutcome::kImplicitTlsFailed);
}

TEST_CASE("Pop3InjectionAnsweredInsideTlsIsVulnerable") {
  SessionOptions opt;
  opt.injection_check = true;
  ProbeRecord rec;
  rec.port = 110;
  Session s(&rec, &opt);
  s.Start();
  s.OnBytes("+OK ready\r\n");
  s.OnBytes("+OK\r\nSTLS\r\n.\r\n");
  // Before: nothing answered; STLS and NOOP went out together.
  Action a = s.OnBytes("+OK Begin TLS\r\n");
  REQUIRE(a.step == Step::kStartTls);
  a = s.OnTlsEstablished();
  REQUIRE(a.step == Step::kWait);
  CHECK(a.wait_ms == opt.injection_wait_ms);
  a = s.OnBytes("+OK\r\n");  // the NOOP answered inside TLS
  REQUIRE(a.step == Step::kSend);
  CHECK(a.bytes == "CAPA\r\n");
  a = s.OnBytes("+OK\r\nUSER\r\n.\r\n");
  REQUIRE(a.step == Step::kDone);
  CHECK(Has(rec, results::kInjectionTested));
  CHECK(Has(rec, results::kInjectionVulnerable));
  CHECK(rec.outcome == ProbeOutcome::kStartTlsOk);
}

TEST_CASE("Pop3InjectionSentInOneSegmentAndSilenceIsSafe") {
  SessionOptions opt;
  opt.injection_check = true;
  ProbeRecord rec;
  rec.port = 110;
  Session s(&rec, &opt);
  s.Start();
  s.OnBytes("+OK ready\r\n");
  Action a = s.OnBytes("+OK\r\nSTLS\r\n.\r\n");
  REQUIRE(a.step == Step::kSend);
  CHECK(a.bytes == "STLS\r\nNOOP\r\n");
  s.OnBytes("+OK Begin TLS\r\n");
  s.OnTlsEstablished();
  a = s.OnTimeout();  // the injection window passes in silence
  REQUIRE(a.step == Step::kSend);
  a = s.OnBytes("+OK\r\nUSER\r\n.\r\n");
  REQUIRE(a.step == Step::kDone);
  CHECK(Has(rec, results::kInjectionTested));
  CHECK_FALSE(Has(rec, results::kInjectionVulnerable));
}

TEST_CASE("Pop3HttpServerIsNotThisProtocol") {
  Run r = PlayAll(110, {{"", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kNotThisProtocol);
}

TEST_CASE("Pop3BinaryJunkIsNotThisProtocol") {
  std::string junk("\x16\x03\x01\x00\x2a\x02\x00\x00\x26\x03\x01\x00\xff\xfe", 14);
  Run r = PlayAll(110, {{"", junk}});
  CHECK(r.rec.outcome == ProbeOutcome::kNotThisProtocol);
}

TEST_CASE("Pop3EndlessLineIsProtocolError") {
  std::string endless = "+OK " + std::string(200000, 'A');
  Run r = Play(110, {{"", endless}}, {1000});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
}

TEST_CASE("Pop3EndlessGreetingKeepsBannerCapBytes") {
  // No CR LF ever; under max_bytes, so every split (one read included) ends on the line cap.
  std::string endless = "+OK ";
  for (int i = 0; endless.size() < 100000; ++i) endless += std::to_string(i) + ' ';
  SessionOptions opt;
  opt.banner_cap = 512;  // below max_line
  Run r = PlayAll(110, {{"", endless}}, opt);
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner == endless.substr(0, 512));
  CHECK(r.last_bytes.empty());
}

TEST_CASE("Pop3EndlessGreetingKeepsLineCapBytesWhenBannerCapIsLarger") {
  // The line cap stops the read first: the banner holds what it let in, whatever the split.
  std::string endless = "+OK ";
  for (int i = 0; endless.size() < 100000; ++i) endless += std::to_string(i) + ' ';
  const SessionOptions opt;
  REQUIRE(opt.max_line < opt.banner_cap);
  Run r = PlayAll(110, {{"", endless}});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner == endless.substr(0, opt.max_line));
}

TEST_CASE("Pop3GreetingLineLongerThanCapIsProtocolErrorEvenInOneRead") {
  // Complete in one read or cut into many, a line over the cap is refused the same way.
  const SessionOptions opt;
  std::string greeting = "+OK " + std::string(opt.max_line, 'x');
  Run r = PlayAll(110, {{"", greeting + "\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(r.rec.banner == greeting.substr(0, opt.max_line));
}

TEST_CASE("Pop3GreetingLineExactlyAtCapIsAccepted") {
  // The CR of the line's CR LF may arrive alone; it does not count against the cap.
  const SessionOptions opt;
  std::string greeting = "+OK " + std::string(opt.max_line - 4, 'x');
  Run r = PlayAll(110, {{"", greeting + "\r\n"}, {"CAPA\r\n", "+OK\r\nUSER\r\n.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK(r.rec.banner == greeting + "\r\n");
  CHECK_FALSE(Has(r.rec, results::kBannerTruncated));
}

TEST_CASE("Pop3EndlessCapaIsBounded") {
  std::string capa = "+OK\r\n";
  for (int i = 0; i < 20000; ++i) capa += "X-CAPABILITY-NUMBER-" + std::to_string(i) + "\r\n";
  Run r = Play(110, {{"", "+OK\r\n"}, {"CAPA\r\n", capa}}, {4096});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(r.rec.capabilities.size() <= SessionOptions{}.banner_cap);
}

// ---------------- IMAP ----------------

const char kDovecotImapGreeting[] =
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
    "AUTH=PLAIN AUTH=LOGIN] Dovecot ready.\r\n";

TEST_CASE("ImapDovecotStartTlsWithCapabilitiesInGreeting") {
  Run r = PlayAll(
      143, {{"", kDovecotImapGreeting},
            {"a001 STARTTLS\r\n", "a001 OK Begin TLS negotiation now.\r\n"},
            {"<TLS>", ""},
            {"a002 CAPABILITY\r\n",
             "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN "
             "AUTH=LOGIN\r\na002 OK Pre-login capabilities listed, post-login capabilities have "
             "more.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
  CHECK(r.rec.capabilities ==
        "IMAP4REV1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN");
  CHECK(r.rec.auth_mechanisms == "PLAIN LOGIN");
  CHECK(r.rec.auth_mechanisms_tls == "PLAIN LOGIN");
  CHECK(Has(r.rec, results::kPlaintextLoginOffered));
  CHECK(Has(r.rec, results::kCapabilitiesReadTls));
  CHECK(r.last_bytes == "z000 LOGOUT\r\n");
}

TEST_CASE("ImapLoginDisabledBeforeTls") {
  Run r = PlayAll(
      143, {{"",
             "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE STARTTLS "
             "LOGINDISABLED] Dovecot (Ubuntu) ready.\r\n"},
            {"a001 STARTTLS\r\n", "a001 OK Begin TLS negotiation now.\r\n"},
            {"<TLS>", ""},
            {"a002 CAPABILITY\r\n", "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na002 OK done\r\n"}});
  CHECK(Has(r.rec, results::kLoginDisabled));
  CHECK_FALSE(Has(r.rec, results::kPlaintextLoginOffered));
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
}

TEST_CASE("ImapCourierGreeting") {
  Run r = PlayAll(
      143, {{"",
             "* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT "
             "THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION STARTTLS] Courier-IMAP ready. "
             "Copyright 1998-2018 Double Precision, Inc.  See COPYING for distribution "
             "information.\r\n"},
            {"a001 STARTTLS\r\n", "a001 NO STARTTLS failed\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsRefused);
}

TEST_CASE("ImapCyrusGreeting") {
  Run r =
      PlayAll(143, {{"",
                     "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS AUTH=PLAIN "
                     "SASL-IR] mail.example.org Cyrus IMAP v3.2.6-Debian-3.2.6-2+deb11u2 server "
                     "ready\r\n"},
                    {"a001 STARTTLS\r\n", "a001 BAD Unknown command\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsRefused);
}

TEST_CASE("ImapExchangeAsksCapabilityAndReadsUntaggedLines") {
  for (const char* greeting : {"* OK The Microsoft Exchange IMAP4 service is ready.\r\n",
                               "* OK Der Microsoft Exchange IMAP4-Dienst ist bereit.\r\n"}) {
    Run r = PlayAll(
        143, {{"", greeting},
              {"a001 CAPABILITY\r\n",
               "* OK still here\r\n* CAPABILITY IMAP4 IMAP4rev1 AUTH=NTLM AUTH=GSSAPI AUTH=PLAIN "
               "STARTTLS UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+\r\n"
               "a001 OK CAPABILITY completed.\r\n"},
              {"a002 STARTTLS\r\n", "a002 OK Begin TLS negotiation now.\r\n"},
              {"<TLS>", ""},
              {"a003 CAPABILITY\r\n",
               "* CAPABILITY IMAP4 IMAP4rev1 AUTH=NTLM AUTH=GSSAPI AUTH=PLAIN\r\n"
               "a003 OK CAPABILITY completed.\r\n"}});
    CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
    CHECK(r.rec.auth_mechanisms == "NTLM GSSAPI PLAIN");
    CHECK(Has(r.rec, results::kStartTlsAdvertised));
  }
}

TEST_CASE("ImapPreauth") {
  Run r = PlayAll(143, {{"", "* PREAUTH [CAPABILITY IMAP4rev1] Logged in as mail\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPreauth);
  CHECK(r.rec.capabilities == "IMAP4REV1");
}

TEST_CASE("ImapByeGreeting") {
  Run r = PlayAll(143, {{"", "* BYE Configured for SSL connections only\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK(r.rec.banner == "* BYE Configured for SSL connections only\r\n");
}

TEST_CASE("ImapPlaintextOnly") {
  Run r = PlayAll(143, {{"",
                         "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
                         "LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK(Has(r.rec, results::kPlaintextLoginOffered));
}

TEST_CASE("ImapCapabilityRefusedStillDecides") {
  Run r = PlayAll(143, {{"", "* OK ready\r\n"}, {"a001 CAPABILITY\r\n", "a001 BAD no\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK_FALSE(Has(r.rec, results::kCapabilitiesRead));
  CHECK_FALSE(Has(r.rec, results::kPlaintextLoginOffered));  // unknown: not claimed
}

TEST_CASE("ImapImplicitTls993") {
  Run r = PlayAll(993, {{"<TLS>", kDovecotImapGreeting}});
  CHECK(r.rec.outcome == ProbeOutcome::kImplicitTlsOk);
  CHECK(Has(r.rec, results::kCapabilitiesReadTls));
  CHECK(r.rec.auth_mechanisms_tls == "PLAIN LOGIN");
}

TEST_CASE("ImapImplicitTlsWithoutCapabilityInGreeting") {
  Run r =
      PlayAll(993, {{"<TLS>", "* OK ready\r\n"},
                    {"a001 CAPABILITY\r\n", "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na001 OK\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kImplicitTlsOk);
  CHECK(r.rec.capabilities_tls == "IMAP4REV1 AUTH=PLAIN");
}

TEST_CASE("ImapByeDuringCapabilityIsServiceUnavailable") {
  Run r = PlayAll(143, {{"", "* OK ready\r\n"},
                        {"a001 CAPABILITY\r\n",
                         "* CAPABILITY IMAP4rev1 STARTTLS\r\n* BYE Server shutting down.\r\n"
                         "a001 OK ignored\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK_FALSE(Has(r.rec, results::kCapabilitiesRead));
  CHECK_FALSE(Has(r.rec, results::kStartTlsAdvertised));  // never decided on
}

TEST_CASE("ImapByeToStartTlsIsServiceUnavailable") {
  Run r = PlayAll(143, {{"", kDovecotImapGreeting},
                        {"a001 STARTTLS\r\n", "* BYE Disconnected for inactivity.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK_FALSE(Has(r.rec, results::kStartTlsAccepted));
}

TEST_CASE("ImapByeInsideTlsKeepsStartTlsOk") {
  Run r = PlayAll(143, {{"", kDovecotImapGreeting},
                        {"a001 STARTTLS\r\n", "a001 OK Begin TLS negotiation now.\r\n"},
                        {"<TLS>", ""},
                        {"a002 CAPABILITY\r\n", "* BYE Server shutting down.\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
  CHECK_FALSE(Has(r.rec, results::kCapabilitiesReadTls));
}

TEST_CASE("ImapWrongTagIsProtocolError") {
  Run r = PlayAll(143, {{"", "* OK ready\r\n"}, {"a001 CAPABILITY\r\n", "b7 OK\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
}

// ---------------- SMTP ----------------

const char kPostfixEhlo[] =
    "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
    "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n"
    "250 CHUNKING\r\n";
const char kPostfixEhloTls[] =
    "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
    "250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
    "250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";

TEST_CASE("SmtpPostfixStartTls") {
  Run r = PlayAll(25, {{"", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"},
                       {"EHLO mailsweep.invalid\r\n", kPostfixEhlo},
                       {"STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n"},
                       {"<TLS>", ""},
                       {"EHLO mailsweep.invalid\r\n", kPostfixEhloTls}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
  CHECK(r.rec.capabilities ==
        "PIPELINING SIZE VRFY ETRN STARTTLS ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8 CHUNKING");
  CHECK(r.rec.auth_mechanisms.empty());
  CHECK(r.rec.auth_mechanisms_tls == "PLAIN LOGIN");
  CHECK_FALSE(Has(r.rec, results::kPlaintextLoginOffered));
  CHECK(r.last_bytes == "QUIT\r\n");
}

TEST_CASE("SmtpEhloNameIsConfigurable") {
  SessionOptions opt;
  opt.ehlo_name = "probe.example.net";
  Run r =
      PlayAll(587, {{"", "220 mx ESMTP\r\n"}, {"EHLO probe.example.net\r\n", "250 mx\r\n"}}, opt);
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
}

TEST_CASE("SmtpEximMultiLineBanner454ToStartTls") {
  Run r = PlayAll(
      25, {{"",
            "220-mx.example.com ESMTP Exim 4.96 Mon, 01 Jan 2024 00:00:00 +0000\r\n"
            "220-We do not authorize the use of this system to transport unsolicited,\r\n"
            "220 and/or bulk e-mail.\r\n"},
           {"EHLO mailsweep.invalid\r\n",
            "250-mx.example.com Hello mailsweep.invalid [198.18.0.1]\r\n250-SIZE 52428800\r\n"
            "250-8BITMIME\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n"
            "250 HELP\r\n"},
           {"STARTTLS\r\n", "454 TLS currently unavailable\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsRefused);
  CHECK(Has(r.rec, results::kPlaintextLoginOffered));
  CHECK(r.rec.auth_mechanisms == "PLAIN LOGIN");
  CHECK(r.rec.banner.find("220 and/or bulk e-mail.\r\n") != std::string::npos);
}

TEST_CASE("SmtpExchangeBanner") {
  Run r = PlayAll(
      587, {{"",
             "220 mail.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 1 Jan 2024 "
             "00:00:00 +0000\r\n"},
            {"EHLO mailsweep.invalid\r\n",
             "250-mail.contoso.com Hello [198.18.0.1]\r\n250-SIZE 37748736\r\n250-PIPELINING\r\n"
             "250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-AUTH GSSAPI NTLM\r\n"
             "250-8BITMIME\r\n250-BINARYMIME\r\n250 CHUNKING\r\n"},
            {"STARTTLS\r\n", "220 2.0.0 SMTP server ready\r\n"},
            {"<TLS>", ""},
            {"EHLO mailsweep.invalid\r\n",
             "250-mail.contoso.com Hello [198.18.0.1]\r\n250-AUTH GSSAPI NTLM LOGIN\r\n"
             "250 CHUNKING\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
  CHECK_FALSE(Has(r.rec, results::kPlaintextLoginOffered));
  CHECK(r.rec.auth_mechanisms_tls == "GSSAPI NTLM LOGIN");
}

TEST_CASE("SmtpRefusingGreetings") {
  for (const char* g : {"554 5.7.1 No SMTP service here\r\n",
                        "421 4.3.2 Service not available, closing channel\r\n"}) {
    Run r = PlayAll(25, {{"", g}});
    CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  }
}

TEST_CASE("Smtp421AtGreetingIsServiceUnavailable") {
  Run r =
      PlayAll(25, {{"", "421 4.3.2 Service shutting down and closing transmission channel\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK(r.rec.banner == "421 4.3.2 Service shutting down and closing transmission channel\r\n");
  CHECK(r.last_bytes.empty());
}

TEST_CASE("SmtpPostfix421AfterEhloIsServiceUnavailable") {
  // Postfix timing a client out: before this fix recorded as plaintext_only.
  Run r = PlayAll(25, {{"", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"},
                       {"EHLO mailsweep.invalid\r\n", "421 4.4.2 Error: timeout exceeded\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK(r.rec.capabilities.empty());
  CHECK_FALSE(Has(r.rec, results::kCapabilitiesRead));
  CHECK_FALSE(Has(r.rec, results::kHeloFallback));
}

TEST_CASE("SmtpMultiLine421AfterEhloIsServiceUnavailable") {
  Run r = PlayAll(587, {{"", "220 mx ESMTP\r\n"},
                        {"EHLO mailsweep.invalid\r\n",
                         "421-4.7.0 Too many connections from your address\r\n"
                         "421 4.7.0 Try again later\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
}

TEST_CASE("Smtp554AfterEhloIsServiceUnavailable") {
  Run r = PlayAll(
      25, {{"", "220 mx.example.net ESMTP\r\n"},
           {"EHLO mailsweep.invalid\r\n", "554 5.7.1 Client host rejected: Access denied\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK(r.last_bytes == "QUIT\r\n");
}

TEST_CASE("SmtpOtherRefusalsOfEhloAreServiceUnavailable") {
  for (const char* reply :
       {"450 4.7.1 Client host rejected: cannot find your hostname\r\n",
        "451 4.3.0 Temporary lookup failure\r\n", "501 5.5.2 Syntax: EHLO hostname\r\n",
        "550 5.7.1 Go away\r\n", "503 5.5.1 Bad sequence\r\n"}) {
    INFO(reply);
    Run r = PlayAll(25, {{"", "220 mx ESMTP\r\n"}, {"EHLO mailsweep.invalid\r\n", reply}});
    CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
    CHECK_FALSE(Has(r.rec, results::kHeloFallback));
  }
}

TEST_CASE("Smtp250LinesEndedBy421AreServiceUnavailable") {
  // The last line is the reply's verdict; the extensions seen before it stay as facts.
  Run r = PlayAll(25, {{"", "220 mx ESMTP\r\n"},
                       {"EHLO mailsweep.invalid\r\n",
                        "250-mx\r\n250-PIPELINING\r\n421 4.4.2 Error: timeout exceeded\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK_FALSE(Has(r.rec, results::kCapabilitiesRead));
}

TEST_CASE("SmtpNon250SuccessToEhloIsProtocolError") {
  for (const char* reply :
       {"220 mx ESMTP again\r\n", "354 go ahead\r\n", "220-mx\r\n250 STARTTLS\r\n"}) {
    INFO(reply);
    Run r = PlayAll(25, {{"", "220 mx ESMTP\r\n"}, {"EHLO mailsweep.invalid\r\n", reply}});
    CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  }
}

TEST_CASE("Smtp500ToEhloFallsBackToHeloAndIsPlaintextOnly") {
  Run r = PlayAll(25, {{"", "220 old.example.org SMTP ready\r\n"},
                       {"EHLO mailsweep.invalid\r\n", "500 5.5.1 Command unrecognized\r\n"},
                       {"HELO mailsweep.invalid\r\n", "250 old.example.org\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK(Has(r.rec, results::kHeloFallback));
  CHECK_FALSE(Has(r.rec, results::kStartTlsAdvertised));
  CHECK_FALSE(Has(r.rec, results::kCapabilitiesRead));  // like a POP3 server without CAPA
  CHECK(r.rec.capabilities.empty());
  CHECK(r.last_bytes == "QUIT\r\n");
}

TEST_CASE("SmtpHeloFallbackUsesTheEhloName") {
  SessionOptions opt;
  opt.ehlo_name = "probe.example.net";
  Run r = PlayAll(587,
                  {{"", "220 mx\r\n"},
                   {"EHLO probe.example.net\r\n", "502 5.5.2 Command not implemented\r\n"},
                   {"HELO probe.example.net\r\n", "250-mx\r\n250 hello\r\n"}},
                  opt);
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK(r.rec.capabilities.empty());  // HELO lists no extensions, even in a 250- reply
  CHECK(Has(r.rec, results::kHeloFallback));
}

TEST_CASE("Smtp502ToEhloThenHeloRefusedIsServiceUnavailable") {
  for (const char* reply : {"421 4.4.2 Error: timeout exceeded\r\n", "554 5.7.1 Access denied\r\n",
                            "501 5.5.4 Invalid domain name\r\n"}) {
    INFO(reply);
    Run r =
        PlayAll(25, {{"", "220 mx\r\n"},
                     {"EHLO mailsweep.invalid\r\n", "502 5.5.2 Error: command not recognized\r\n"},
                     {"HELO mailsweep.invalid\r\n", reply}});
    CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
    CHECK(Has(r.rec, results::kHeloFallback));
  }
}

TEST_CASE("SmtpHeloAnsweredOddlyIsProtocolError") {
  Run r = PlayAll(25, {{"", "220 mx\r\n"},
                       {"EHLO mailsweep.invalid\r\n", "500 what\r\n"},
                       {"HELO mailsweep.invalid\r\n", "354 what\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
}

TEST_CASE("SmtpHeloFallbackThenBlindStartTls") {
  SessionOptions opt;
  opt.starttls_blind = true;
  Run refused = PlayAll(25,
                        {{"", "220 mx\r\n"},
                         {"EHLO mailsweep.invalid\r\n", "500 unrecognized\r\n"},
                         {"HELO mailsweep.invalid\r\n", "250 mx\r\n"},
                         {"STARTTLS\r\n", "500 unrecognized\r\n"}},
                        opt);
  CHECK(refused.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK(Has(refused.rec, results::kHeloFallback));
  CHECK(Has(refused.rec, results::kStartTlsTriedBlind));
  Run accepted = PlayAll(25,
                         {{"", "220 mx\r\n"},
                          {"EHLO mailsweep.invalid\r\n", "500 unrecognized\r\n"},
                          {"HELO mailsweep.invalid\r\n", "250 mx\r\n"},
                          {"STARTTLS\r\n", "220 go ahead\r\n"},
                          {"<TLS>", ""},
                          {"EHLO mailsweep.invalid\r\n", "500 unrecognized\r\n"}},
                         opt);
  CHECK(accepted.rec.outcome == ProbeOutcome::kStartTlsOk);
  CHECK(Has(accepted.rec, results::kHeloFallback));
}

TEST_CASE("Smtp421ToStartTlsIsServiceUnavailable") {
  Run r = PlayAll(25, {{"", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"},
                       {"EHLO mailsweep.invalid\r\n", kPostfixEhlo},
                       {"STARTTLS\r\n", "421 4.4.2 Error: timeout exceeded\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
  CHECK(Has(r.rec, results::kStartTlsAdvertised));
  CHECK(Has(r.rec, results::kCapabilitiesRead));
  CHECK_FALSE(Has(r.rec, results::kStartTlsAccepted));
}

TEST_CASE("Smtp421ToBlindStartTlsIsServiceUnavailable") {
  SessionOptions opt;
  opt.starttls_blind = true;
  Run r = PlayAll(25,
                  {{"", "220 mx\r\n"},
                   {"EHLO mailsweep.invalid\r\n", "250 mx\r\n"},
                   {"STARTTLS\r\n", "421 closing\r\n"}},
                  opt);
  CHECK(r.rec.outcome == ProbeOutcome::kServiceUnavailable);
}

TEST_CASE("Smtp421ToEhloInsideTlsKeepsStartTlsOk") {
  Run r = PlayAll(25, {{"", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"},
                       {"EHLO mailsweep.invalid\r\n", kPostfixEhlo},
                       {"STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n"},
                       {"<TLS>", ""},
                       {"EHLO mailsweep.invalid\r\n", "421 4.4.2 Error: timeout exceeded\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kStartTlsOk);
  CHECK_FALSE(Has(r.rec, results::kCapabilitiesReadTls));
  CHECK_FALSE(Has(r.rec, results::kHeloFallback));
}

TEST_CASE("Smtp500ToEhloOnImplicitTlsKeepsImplicitTlsOk") {
  // Inside TLS the outcome is known; HELO would add nothing to it.
  Run r =
      PlayAll(465, {{"<TLS>", "220 old SMTP\r\n"}, {"EHLO mailsweep.invalid\r\n", "500 what\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kImplicitTlsOk);
  CHECK_FALSE(Has(r.rec, results::kHeloFallback));
}

TEST_CASE("SmtpWithoutStartTlsIsPlaintextOnly") {
  Run r =
      PlayAll(25, {{"", "220 mx.example.org ESMTP Postfix\r\n"},
                   {"EHLO mailsweep.invalid\r\n",
                    "250-mx.example.org\r\n250-PIPELINING\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
  CHECK(Has(r.rec, results::kPlaintextLoginOffered));
}

TEST_CASE("SmtpImplicitTls465") {
  Run r = PlayAll(465, {{"<TLS>", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"},
                        {"EHLO mailsweep.invalid\r\n", kPostfixEhloTls}});
  CHECK(r.rec.outcome == ProbeOutcome::kImplicitTlsOk);
  CHECK(r.rec.auth_mechanisms_tls == "PLAIN LOGIN");
}

TEST_CASE("SmtpEndlessBannerIsBounded") {
  std::string endless;
  while (endless.size() < 200000) endless += "220-spam spam spam spam spam spam spam\r\n";
  Run r = Play(25, {{"", endless}}, {1500});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner.size() <= SessionOptions{}.banner_cap);
}

TEST_CASE("SmtpMultiLineGreetingBeyondMaxReplyKeepsFirstBytes") {
  // Under max_bytes, so every split (one read included) ends on max_reply.
  std::string endless;
  for (int i = 0; endless.size() < 60000; ++i)
    endless += "220-line " + std::to_string(i) + " of a greeting that goes on\r\n";
  const SessionOptions opt;
  REQUIRE(endless.size() > opt.max_reply);
  Run r = PlayAll(25, {{"", endless}});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner == endless.substr(0, opt.banner_cap));
  CHECK(r.last_bytes.empty());
}

TEST_CASE("SmtpMultiLineGreetingBeyondMaxReplyBelowBannerCapKeepsWholeLines") {
  std::string endless;
  for (int i = 0; endless.size() < 60000; ++i) endless += "220-" + std::to_string(i) + "\r\n";
  SessionOptions opt;
  opt.max_reply = 1000;
  Run r = PlayAll(25, {{"", endless}}, opt);
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  // Every line that fitted in max_reply, nothing more.
  REQUIRE(r.rec.banner.size() <= opt.max_reply);
  CHECK(r.rec.banner.size() > opt.max_reply - 12);
  CHECK(r.rec.banner == endless.substr(0, r.rec.banner.size()));
  CHECK(r.rec.banner.substr(r.rec.banner.size() - 2) == "\r\n");
}

TEST_CASE("SmtpGreetingEndingInAnEndlessLineKeepsFirstBytes") {
  std::string head = "220-mx.example.org ESMTP\r\n220-Welcome\r\n";
  std::string endless = head + "220 " + std::string(100000 - head.size(), 'z');
  SessionOptions opt;
  opt.banner_cap = 1024;
  Run r = PlayAll(25, {{"", endless}}, opt);
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.banner == endless.substr(0, 1024));
}

TEST_CASE("SmtpBannerCutInsideALineEndIsAPrefixOfTheGreeting") {
  SessionOptions opt;
  opt.banner_cap = 7;  // ends between the CR and the LF of the first line
  Run r = PlayAll(25, {{"", "220-ab\r\n220 cd\r\n"}, {"EHLO mailsweep.invalid\r\n", "250 mx\r\n"}},
                  opt);
  CHECK(r.rec.banner == "220-ab\r");
  CHECK(Has(r.rec, results::kBannerTruncated));
  CHECK(r.rec.outcome == ProbeOutcome::kPlaintextOnly);
}

TEST_CASE("SmtpGarbageAfterGreetingIsProtocolError") {
  Run r = PlayAll(25, {{"", "220 ok\r\n"}, {"EHLO mailsweep.invalid\r\n", "hello?\r\n"}});
  CHECK(r.rec.outcome == ProbeOutcome::kProtocolError);
}

// ---------------- timeouts and closes ----------------

TEST_CASE("SilentServerIsNoGreeting") {
  ProbeRecord rec;
  rec.port = 143;
  SessionOptions opt;
  Session s(&rec, &opt);
  REQUIRE(s.Start().step == Step::kWait);
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kNoGreeting);
}

TEST_CASE("PartialGreetingThenTimeoutIsNoGreeting") {
  ProbeRecord rec;
  rec.port = 110;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  REQUIRE(s.OnBytes("+O").step == Step::kWait);
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kNoGreeting);
}

TEST_CASE("SilenceAfterCommandIsIoTimeout") {
  ProbeRecord rec;
  rec.port = 25;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  REQUIRE(s.OnBytes("220 hi\r\n").step == Step::kSend);
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kIoTimeout);
}

TEST_CASE("CloseMidReplyIsProtocolError") {
  ProbeRecord rec;
  rec.port = 110;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  s.OnBytes("+OK hi\r\n");
  REQUIRE(s.OnBytes("+OK\r\nUSER\r\nTO").step == Step::kWait);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kProtocolError);
}

TEST_CASE("CloseBeforeGreetingIsReset") {
  ProbeRecord rec;
  rec.port = 110;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kConnectionReset);
}

TEST_CASE("CloseDuringHandshakeIsHandshakeFailure") {
  ProbeRecord rec;
  rec.port = 993;
  rec.tls_mode = results::TlsMode::kImplicit;
  SessionOptions opt;
  Session s(&rec, &opt);
  REQUIRE(s.Start().step == Step::kStartTls);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kImplicitTlsFailed);
  CHECK(rec.tls.failure == "closed");
}

TEST_CASE("ImapByeInsideCapabilityThenCloseIsServiceUnavailable") {
  // The BYE decides; the close that follows changes nothing.
  ProbeRecord rec;
  rec.port = 143;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  s.OnBytes("* OK hi\r\n");
  REQUIRE(s.OnBytes("* BYE going away\r\n").step == Step::kDone);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kServiceUnavailable);
}

TEST_CASE("ImapCloseInsideUnfinishedByeLineIsProtocolError") {
  ProbeRecord rec;
  rec.port = 143;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  s.OnBytes("* OK hi\r\n");
  REQUIRE(s.OnBytes("* BYE going aw").step == Step::kWait);
  REQUIRE(s.OnClosed().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kProtocolError);
}

TEST_CASE("SmtpSilenceAfterHeloIsIoTimeout") {
  ProbeRecord rec;
  rec.port = 25;
  SessionOptions opt;
  Session s(&rec, &opt);
  s.Start();
  REQUIRE(s.OnBytes("220 hi\r\n").step == Step::kSend);
  Action a = s.OnBytes("500 what?\r\n");
  REQUIRE(a.step == Step::kSend);
  CHECK(a.bytes == "HELO mailsweep.invalid\r\n");
  REQUIRE(s.OnTimeout().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kIoTimeout);
  CHECK(Has(rec, results::kHeloFallback));
}

TEST_CASE("UnknownPortIsNotThisProtocol") {
  ProbeRecord rec;
  rec.port = 80;
  SessionOptions opt;
  Session s(&rec, &opt);
  REQUIRE(s.Start().step == Step::kDone);
  CHECK(rec.outcome == ProbeOutcome::kNotThisProtocol);
}

}  // namespace
}  // namespace mailsweep::probes
