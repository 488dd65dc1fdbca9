#include "base/dns_name.h"

namespace mailsweep {

bool IsDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  size_t label = 0;
  bool digits_and_dots_only = true;  // 192.0.2.1 is an address, not a name
  for (char ch : name) {
    if (ch == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '*';
    if (!ok || ++label > 63) return false;
    if (ch < '0' || ch > '9') digits_and_dots_only = false;
  }
  return !digits_and_dots_only;
}

}  // namespace mailsweep
