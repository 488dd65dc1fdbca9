#include "probes/words.h"

#include <cctype>

namespace mailsweep::probes {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(s[i])) !=
        std::toupper(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && StartsWithNoCase(a, b);
}

std::string_view NextWord(std::string_view* rest) {
  size_t b = rest->find_first_not_of(' ');
  if (b == std::string_view::npos) {
    *rest = {};
    return {};
  }
  size_t e = rest->find(' ', b);
  std::string_view word =
      rest->substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
  *rest = e == std::string_view::npos ? std::string_view() : rest->substr(e);
  return word;
}

bool ContainsWord(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    if (EqualsNoCase(NextWord(&list), word)) return true;
  }
  return false;
}

void AppendUpperWord(std::string* out, std::string_view word) {
  if (!out->empty()) out->push_back(' ');
  for (char c : word)
    out->push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
}

}  // namespace mailsweep::probes
