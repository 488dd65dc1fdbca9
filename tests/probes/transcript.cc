#include "tests/probes/transcript.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "results/format/record_text.h"
#include "results/format/records.h"

namespace mailsweep::probes::testing {
namespace {

using results::ProbeRecord;

// \r \n \t \\ and \xHH; anything else after a backslash is a malformed file.
std::string Unescape(std::string_view in, int line) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      out += in[i];
      continue;
    }
    INFO("line " << line << ": bad escape in '" << in << "'");
    REQUIRE(i + 1 < in.size());
    const char c = in[++i];
    if (c == 'r') {
      out += '\r';
    } else if (c == 'n') {
      out += '\n';
    } else if (c == 't') {
      out += '\t';
    } else if (c == '\\') {
      out += '\\';
    } else {
      REQUIRE(c == 'x');
      REQUIRE(i + 2 < in.size());
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

void SetOption(SessionOptions* opt, std::string_view name, const std::string& value, int line) {
  INFO("line " << line << ": option " << name);
  if (name == "starttls_blind") {
    opt->starttls_blind = true;
  } else if (name == "injection_check") {
    opt->injection_check = true;
  } else if (name == "ehlo_name") {
    opt->ehlo_name = value;
  } else if (name == "banner_cap") {
    opt->banner_cap = static_cast<uint32_t>(std::stoul(value));
  } else if (name == "max_reply") {
    opt->max_reply = static_cast<uint32_t>(std::stoul(value));
  } else {
    FAIL("unknown option");
  }
}

uint32_t FlagNamed(const std::string& name, int line) {
  for (int bit = 0; bit < 32; ++bit) {
    if (results::FlagNames(1u << bit, "") == name) return 1u << bit;
  }
  FAIL("line " << line << ": no flag named '" << name << "'");
  return 0;
}

const std::string* Field(const ProbeRecord& rec, std::string_view name) {
  if (name == "banner") return &rec.banner;
  if (name == "capabilities") return &rec.capabilities;
  if (name == "capabilities_tls") return &rec.capabilities_tls;
  if (name == "auth_mechanisms") return &rec.auth_mechanisms;
  if (name == "auth_mechanisms_tls") return &rec.auth_mechanisms_tls;
  return nullptr;
}

void CheckExpectation(const Run& r, const Expectation& e) {
  INFO("expectation on line " << e.line << ": " << e.key << " '" << e.value << "'");
  const std::string_view contains = "-contains";
  if (e.key == "outcome") {
    CHECK(std::string(results::OutcomeName(r.rec.outcome)) == e.value);
  } else if (e.key == "flag") {
    CHECK(Has(r.rec, FlagNamed(e.value, e.line)));
  } else if (e.key == "no-flag") {
    CHECK_FALSE(Has(r.rec, FlagNamed(e.value, e.line)));
  } else if (e.key == "last_bytes") {
    CHECK(r.last_bytes == e.value);
  } else if (e.key.ends_with(contains)) {
    const std::string* field =
        Field(r.rec, std::string_view(e.key).substr(0, e.key.size() - contains.size()));
    REQUIRE(field != nullptr);
    CHECK(field->find(e.value) != std::string::npos);
  } else {
    const std::string* field = Field(r.rec, e.key);
    REQUIRE(field != nullptr);
    CHECK(*field == e.value);
  }
}

class TranscriptCase final : public Catch::ITestInvoker {
 public:
  explicit TranscriptCase(std::string path) : path_(std::move(path)) {}
  void invoke() const override { CheckTranscript(ReadTranscript(path_)); }

 private:
  std::string path_;
};

}  // namespace

Transcript ReadTranscript(const std::string& path) {
  std::ifstream in(path);
  INFO("transcript " << path);
  REQUIRE(in.good());
  Transcript t;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    INFO("line " << line << ": " << text);
    if (text.empty() || text[0] == '#') continue;
    const std::string_view v(text);
    if (v.starts_with("S:") || v.starts_with("S=")) {
      // A server line before any client line is the greeting, which comes unasked.
      if (t.turns.empty()) t.turns.push_back({});
      t.turns.back().server += Unescape(v.substr(std::min<size_t>(3, v.size())), line);
      if (v[1] == ':') t.turns.back().server += "\r\n";
    } else if (v.starts_with("C: ")) {
      std::string client = Unescape(v.substr(3), line);
      if (client != "<TLS>" && client != "<TLS-FAIL>") client += "\r\n";
      t.turns.push_back({client, ""});
    } else {
      const size_t sp = v.find(' ');
      const std::string_view key = v.substr(0, sp);
      std::string_view rest = sp == std::string_view::npos ? "" : v.substr(sp + 1);
      if (key == "port") {
        t.port = static_cast<uint16_t>(std::stoul(std::string(rest)));
      } else if (key == "option") {
        const size_t sp2 = rest.find(' ');
        const std::string value =
            sp2 == std::string_view::npos ? "" : Unescape(rest.substr(sp2 + 1), line);
        SetOption(&t.options, rest.substr(0, sp2), value, line);
      } else if (key == "expect") {
        const size_t sp2 = rest.find(' ');
        const std::string value =
            sp2 == std::string_view::npos ? "" : Unescape(rest.substr(sp2 + 1), line);
        t.expectations.push_back({std::string(rest.substr(0, sp2)), value, line});
      } else {
        FAIL("unknown line");
      }
    }
  }
  REQUIRE(t.port != 0);
  REQUIRE_FALSE(t.turns.empty());
  REQUIRE_FALSE(t.expectations.empty());
  return t;
}

void CheckTranscript(const Transcript& t) {
  const Run r = PlayAll(t.port, t.turns, t.options);
  for (const Expectation& e : t.expectations) CheckExpectation(r, e);
}

bool RegisterTranscripts(std::string_view folder) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const auto& entry :
       fs::directory_iterator(fs::path(MAILSWEEP_PROBES_TRANSCRIPTS_DIR) / fs::path(folder))) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const std::string name = "transcript " + std::string(folder) + "/" + file.stem().string();
    // Catch copies the name and keeps the invoker for the life of the program.
    Catch::AutoReg(new TranscriptCase(file.string()), CATCH_INTERNAL_LINEINFO, Catch::StringRef(),
                   Catch::NameAndTags(name, "[transcript]"));
  }
  return true;
}

}  // namespace mailsweep::probes::testing
