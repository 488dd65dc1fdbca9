// Case-insensitive matching of the words in a mail protocol's reply lines: what the session and
// its dialects (pop3/, imap/, smtp/) use to read greetings, capability lists and status codes.
// Pure functions over string_views; no allocation except AppendUpperWord's output.
#ifndef MAILSWEEP_PROBES_WORDS_H_
#define MAILSWEEP_PROBES_WORDS_H_

#include <string>
#include <string_view>

namespace mailsweep::probes {

bool StartsWithNoCase(std::string_view s, std::string_view prefix);
bool EqualsNoCase(std::string_view a, std::string_view b);
// Splits off the first space-separated word of `*rest` (empty when none is left).
std::string_view NextWord(std::string_view* rest);
// Whether the space-separated `list` holds `word`, in any case.
bool ContainsWord(std::string_view list, std::string_view word);
// Appends `word` in upper case to the space-separated list `*out`.
void AppendUpperWord(std::string* out, std::string_view word);

}  // namespace mailsweep::probes

#endif  // MAILSWEEP_PROBES_WORDS_H_
