#include "tests/cli/bad_input/case_table.h"

#include <cstdlib>

namespace mailsweep::testing {
namespace {

// An octet as ParseIpv4 reads one (base/text_format.h): 1-3 decimal digits, at most 255.
bool IsOctet(std::string_view s, uint32_t* value) {
  if (s.empty() || s.size() > 3) return false;
  uint32_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint32_t>(c - '0');
  *value = v;
  return v <= 255;
}

bool Allowed(uint32_t a, uint32_t b) { return a == 0 || (a == 198 && (b == 18 || b == 19)); }

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// Splits at spaces; '...' groups, '' is an empty token.
bool Tokenize(std::string_view line, std::vector<std::string>* tokens) {
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    std::string token;
    while (i < line.size() && line[i] != ' ') {
      if (line[i] == '\'') {
        const size_t close = line.find('\'', i + 1);
        if (close == std::string_view::npos) return false;
        token.append(line.substr(i + 1, close - i - 1));
        i = close + 1;
      } else {
        token.push_back(line[i++]);
      }
    }
    tokens->push_back(std::move(token));
  }
  return true;
}

bool ParseRow(std::string_view row, const std::string& fixture_dir, BadInputCase* c,
              std::string* error) {
  const size_t tab1 = row.find('\t');
  const size_t tab2 = tab1 == std::string_view::npos ? tab1 : row.find('\t', tab1 + 1);
  if (tab2 == std::string_view::npos) {
    *error = "want STATUS<TAB>EXPECTED<TAB>COMMAND LINE";
    return false;
  }
  const std::string status(row.substr(0, tab1));
  char* end = nullptr;
  c->status = static_cast<int>(std::strtol(status.c_str(), &end, 10));
  if (status.empty() || *end != '\0' || c->status < 0 || c->status > 255) {
    *error = "bad status '" + status + "'";
    return false;
  }
  c->expected = Replace(std::string(row.substr(tab1 + 1, tab2 - tab1 - 1)), "@T@", fixture_dir);
  std::vector<std::string> tokens;
  if (!Tokenize(row.substr(tab2 + 1), &tokens)) {
    *error = "unclosed quote";
    return false;
  }
  const std::string huge(100 * 1024, 'x');
  for (std::string& t : tokens) {
    t = Replace(Replace(std::move(t), "@T@", fixture_dir), "@100K@", huge);
    if (t.size() > 1 && t[0] == '<') {
      c->stdin_path = t.substr(1);
    } else if (t.size() > 1 && t[0] == '>') {
      c->stdout_path = t.substr(1);
    } else if (t == "@LAB@") {
      c->argv.push_back("--allow-reserved");
      c->argv.push_back("198.18.0.0/15");
    } else if (t.rfind("%as=", 0) == 0) {
      c->address_space_mib = std::strtoull(t.c_str() + 4, nullptr, 10);
    } else {
      c->argv.push_back(std::move(t));
    }
  }
  if (c->argv.size() < 2 || (c->argv[0] != "mailsweep" && c->argv[0] != "mailsweep-agg")) {
    *error = "the command is mailsweep or mailsweep-agg and a subcommand";
    return false;
  }
  c->needs_empty_network = c->argv[0] == "mailsweep" &&
                           (c->argv[1] == "sweep" || c->argv[1] == "scan" || c->argv[1] == "probe");
  for (const std::string& t : c->argv) {
    if (std::string bad = UnsafeAddress(t); !bad.empty()) {
      *error = "names " + bad + ", outside 198.18.0.0/15 and 0.0.0.0/8: refused to run";
      return false;
    }
  }
  return true;
}

}  // namespace

std::string UnsafeAddress(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    // A maximal run of digits and dots, split into its dot-separated parts.
    if (!(text[i] >= '0' && text[i] <= '9') && text[i] != '.') {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    std::vector<std::string_view> parts;
    std::string_view run = text.substr(start, i - start);
    for (size_t at = 0;;) {
      const size_t dot = run.find('.', at);
      parts.push_back(run.substr(at, dot == std::string_view::npos ? dot : dot - at));
      if (dot == std::string_view::npos) break;
      at = dot + 1;
    }
    for (size_t p = 0; p + 4 <= parts.size(); ++p) {
      uint32_t o[4];
      if (IsOctet(parts[p], &o[0]) && IsOctet(parts[p + 1], &o[1]) &&
          IsOctet(parts[p + 2], &o[2]) && IsOctet(parts[p + 3], &o[3]) && !Allowed(o[0], o[1])) {
        return std::string(parts[p].data(), parts[p + 3].data() + parts[p + 3].size());
      }
    }
  }
  return "";
}

bool ParseCaseTable(std::string_view file_name, std::string_view text,
                    const std::string& fixture_dir, std::vector<BadInputCase>* cases,
                    std::string* error) {
  int line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view row = text.substr(at, nl - at);
    at = nl + 1;
    ++line_no;
    if (row.empty() || row[0] == '#') continue;
    BadInputCase c;
    c.where = std::string(file_name) + ":" + std::to_string(line_no);
    if (!ParseRow(row, fixture_dir, &c, error)) {
      *error = c.where + ": " + *error;
      return false;
    }
    cases->push_back(std::move(c));
  }
  return true;
}

}  // namespace mailsweep::testing
