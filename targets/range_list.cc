#include "targets/range_list.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "base/strings.h"

namespace mailsweep::targets {

absl::StatusOr<RangeList> ParseRangeList(std::string_view text, std::string_view source) {
  RangeList out;
  int line_no = 0;
  for (absl::string_view piece : absl::StrSplit(ToAbsl(text), '\n')) {
    std::string_view line = ToStd(piece);
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = ToStd(absl::StripAsciiWhitespace(ToAbsl(line)));
    if (line.empty()) continue;
    std::vector<absl::string_view> tokens =
        absl::StrSplit(ToAbsl(line), absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (tokens.size() != 1) {
      return absl::InvalidArgumentError(StrCat(
          source, ":", line_no, ": expected one address, CIDR or range, found '", line, "'"));
    }
    std::string_view token = ToStd(tokens[0]);
    if (LooksLikeIpv6(token)) {
      out.warnings.push_back(StrCat(source, ":", line_no, ": skipped IPv6 entry '", token, "'"));
      continue;
    }
    auto range = ParseIpv4Range(token);
    if (!range.ok()) {
      return absl::InvalidArgumentError(
          StrCat(source, ":", line_no, ": ", range.status().message()));
    }
    out.ranges.push_back(*range);
  }
  return out;
}

absl::StatusOr<RangeList> ReadRangeListFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(StrCat("cannot read '", path, "': it is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::string message = StrCat("cannot read '", path, "': ", std::strerror(err));
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::NotFoundError(message);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(StrCat("error while reading '", path, "'"));
  return ParseRangeList(buffer.str(), path);
}

absl::Status AppendRangeListFiles(const std::vector<std::string>& paths,
                                  std::vector<Ipv4Range>* ranges, std::vector<std::string>* notes) {
  for (const std::string& path : paths) {
    auto list = ReadRangeListFile(path);
    if (!list.ok()) return list.status();
    ranges->insert(ranges->end(), list->ranges.begin(), list->ranges.end());
    notes->insert(notes->end(), list->warnings.begin(), list->warnings.end());
  }
  return absl::OkStatus();
}

}  // namespace mailsweep::targets
