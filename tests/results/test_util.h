// Helpers for the results tests: temporary files, lab-like random records.
#ifndef MAILSWEEP_TESTS_RESULTS_TEST_UTIL_H_
#define MAILSWEEP_TESTS_RESULTS_TEST_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "results/format/records.h"

namespace mailsweep::results::testing {

// A fresh directory under $TMPDIR, removed with its files when destroyed.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/mailsweep-results-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    if (!path_.empty()) (void)!system(("rm -rf '" + path_ + "'").c_str());
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

inline FileHeader TestHeader() {
  FileHeader h;
  h.tool_version = "0.1.0-test";
  h.scan_id = "00112233445566778899aabbccddeeff";
  h.seed = 0x0123456789abcdefULL;
  h.shards = 4;
  h.shard = 2;
  h.ports = {25, 110, 143, 465, 587, 993, 995};
  h.start_time_us = 1764403200000000;
  h.command_line = "mailsweep sweep -p 25,110,143,465,587,993,995 198.18.0.0/15";
  return h;
}

inline std::string RandomString(std::mt19937_64& rng, size_t max_len) {
  std::string s(rng() % (max_len + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

inline CertificateFacts RandomCertificate(std::mt19937_64& rng) {
  CertificateFacts c;
  for (auto& b : c.sha256) b = static_cast<uint8_t>(rng());
  for (auto& b : c.sha1) b = static_cast<uint8_t>(rng());
  for (auto& b : c.md5) b = static_cast<uint8_t>(rng());
  c.subject_cn = "mail" + std::to_string(rng() % 100) + ".example.net";
  c.subject_o = RandomString(rng, 10);
  c.issuer_cn = "Lab CA";
  c.issuer_c = "DE";
  c.serial_hex = "0A1B2C";
  c.not_before = static_cast<int64_t>(rng());
  c.not_after = static_cast<int64_t>(rng());
  c.self_signed = rng() & 1;
  c.key_algorithm = "RSA";
  c.key_bits = 2048;
  c.signature_algorithm = "sha256WithRSAEncryption";
  c.der = RandomString(rng, 1500);
  return c;
}

}  // namespace mailsweep::results::testing

#endif  // MAILSWEEP_TESTS_RESULTS_TEST_UTIL_H_
