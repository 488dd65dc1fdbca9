// Small status helpers shared by every module. Debian's abseil (20220623) has no
// status macros, so they live here, in one place.
//
// Example:
//   absl::StatusOr<Config> Load(std::string_view path) {
//     MAILSWEEP_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     MAILSWEEP_RETURN_IF_ERROR(Validate(text));
//     return Config{text};
//   }
#ifndef MAILSWEEP_BASE_STATUS_MACROS_H_
#define MAILSWEEP_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MAILSWEEP_RETURN_IF_ERROR(expr)                    \
  do {                                                     \
    ::absl::Status mailsweep_status_ = (expr);             \
    if (!mailsweep_status_.ok()) return mailsweep_status_; \
  } while (0)

#define MAILSWEEP_CONCAT_INNER_(a, b) a##b
#define MAILSWEEP_CONCAT_(a, b) MAILSWEEP_CONCAT_INNER_(a, b)

#define MAILSWEEP_ASSIGN_OR_RETURN(lhs, expr) \
  MAILSWEEP_ASSIGN_OR_RETURN_IMPL_(MAILSWEEP_CONCAT_(mailsweep_statusor_, __LINE__), lhs, expr)

#define MAILSWEEP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return std::move(tmp).status();         \
  lhs = std::move(tmp).value()

#endif  // MAILSWEEP_BASE_STATUS_MACROS_H_
