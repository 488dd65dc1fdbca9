#include "targets/range_list.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "base/read_file.h"
#include "base/strings.h"

namespace mailsweep::targets {

namespace {

constexpr size_t kMaxLine = 4096;                // far above any address, CIDR or range
constexpr size_t kMaxEntries = size_t{1} << 24;  // 16 times the routed prefixes of IPv4

// Parses a list as it arrives, in pieces of any size (a file read in blocks, or all at once), so
// that neither a line without end (/dev/zero) nor a list without end can take all memory.
class ListParser {
 public:
  explicit ListParser(std::string_view source) : source_(source) {}

  absl::Status Feed(std::string_view text) {
    while (!text.empty()) {
      const size_t nl = text.find('\n');
      const std::string_view piece = text.substr(0, nl);
      if (pending_.size() + piece.size() > kMaxLine) {
        return absl::InvalidArgumentError(StrCat(source_, ":", line_no_ + 1,
                                                 ": a line longer than ", kMaxLine,
                                                 " bytes; is this a list of addresses?"));
      }
      if (nl == std::string_view::npos) {
        pending_.append(piece);
        return absl::OkStatus();
      }
      absl::Status s;
      if (pending_.empty()) {
        s = Line(piece);
      } else {
        pending_.append(piece);
        s = Line(pending_);
        pending_.clear();
      }
      if (!s.ok()) return s;
      text.remove_prefix(nl + 1);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<RangeList> Finish() && {
    if (!pending_.empty()) {  // a last line without '\n'
      if (absl::Status s = Line(pending_); !s.ok()) return s;
    }
    return std::move(out_);
  }

 private:
  absl::Status Line(std::string_view line) {
    ++line_no_;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = ToStd(absl::StripAsciiWhitespace(ToAbsl(line)));
    if (line.empty()) return absl::OkStatus();
    std::vector<absl::string_view> tokens =
        absl::StrSplit(ToAbsl(line), absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (tokens.size() != 1) {
      return absl::InvalidArgumentError(StrCat(
          source_, ":", line_no_, ": expected one address, CIDR or range, found ", Quote(line)));
    }
    std::string_view token = ToStd(tokens[0]);
    if (LooksLikeIpv6(token)) {
      out_.warnings.push_back(
          StrCat(source_, ":", line_no_, ": skipped IPv6 entry ", Quote(token)));
      return absl::OkStatus();
    }
    auto range = ParseIpv4Range(token);
    if (!range.ok()) {
      return absl::InvalidArgumentError(
          StrCat(source_, ":", line_no_, ": ", range.status().message()));
    }
    if (out_.ranges.size() == kMaxEntries) {
      return absl::InvalidArgumentError(StrCat(source_, ":", line_no_, ": more than ", kMaxEntries,
                                               " entries; merge them into CIDRs"));
    }
    out_.ranges.push_back(*range);
    return absl::OkStatus();
  }

  std::string_view source_;
  std::string pending_;  // the start of a line whose end has not arrived
  int line_no_ = 0;
  RangeList out_;
};

}  // namespace

absl::StatusOr<RangeList> ParseRangeList(std::string_view text, std::string_view source) {
  ListParser parser(source);
  if (absl::Status s = parser.Feed(text); !s.ok()) return s;
  return std::move(parser).Finish();
}

absl::StatusOr<RangeList> ReadRangeListFile(const std::string& path) {
  absl::StatusOr<UniqueFd> fd = OpenInputFile(path);
  if (!fd.ok()) return fd.status();
  return ReadRangeListFd(*fd, path);
}

absl::StatusOr<RangeList> ReadRangeListFd(const UniqueFd& fd, const std::string& path) {
  ListParser parser(path);
  absl::Status s =
      ReadInPieces(fd, path, [&parser](std::string_view piece) { return parser.Feed(piece); });
  if (!s.ok()) return s;
  return std::move(parser).Finish();
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
