#include "results/agg/report_output.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/status_macros.h"
#include "base/strings.h"
#include "results/agg/report_html.h"
#include "results/agg/report_text.h"
#include "results/agg/shadowserver_csv.h"
#include "results/agg/summary_files.h"

namespace mailsweep::results {
namespace {

absl::Status CannotWrite(const std::string& path) {
  const int err = errno;
  return absl::UnavailableError(
      StrCat(path, ": cannot write", err ? ": " : "", err ? strerror(err) : ""));
}

absl::Status WriteFile(const std::string& path, const std::string& data) {
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  if (!out) return CannotWrite(path);
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckReportDir(const std::string& dir) {
  // The directory itself, or (not there yet) the one it will be made in.
  std::string at = dir;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    int err = errno;
    if (err != ENOENT) return absl::FailedPreconditionError(StrCat(dir, ": ", strerror(err)));
    const size_t slash = dir.find_last_not_of('/') == std::string::npos
                             ? std::string::npos
                             : dir.rfind('/', dir.find_last_not_of('/'));
    at = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
    if (stat(at.c_str(), &st) != 0) {
      err = errno;
      return absl::FailedPreconditionError(StrCat(dir, ": ", strerror(err)));
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(StrCat(at == dir ? dir : at, ": not a directory"));
  }
  if (access(at.c_str(), W_OK | X_OK) != 0) {
    int err = errno;
    return absl::FailedPreconditionError(StrCat(at, ": ", strerror(err)));
  }
  return absl::OkStatus();
}

absl::Status WriteReportFiles(const Aggregator& agg, const std::string& dir,
                              const std::string& date, bool per_host_csvs) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    int err = errno;
    return absl::UnavailableError(StrCat(dir, ": ", strerror(err)));
  }
  MAILSWEEP_RETURN_IF_ERROR(CheckReportDir(dir));
  const Summary& s = agg.summary();
  MAILSWEEP_RETURN_IF_ERROR(WriteFile(dir + "/summary.csv", SummaryCsv(s)));
  MAILSWEEP_RETURN_IF_ERROR(WriteFile(dir + "/summary.json", SummaryJson(s)));
  MAILSWEEP_RETURN_IF_ERROR(WriteFile(dir + "/report.html", ReportHtml(s)));
  if (!per_host_csvs) return absl::OkStatus();
  for (int p = 0; p < kMailProtocols; ++p) {
    for (bool vulnerable : {false, true}) {
      std::string name = StrCat(dir, "/", date, "-scan_", kProtocolNames[p],
                                vulnerable ? "_vulnerable" : "", ".csv");
      errno = 0;
      std::ofstream out(name, std::ios::binary | std::ios::trunc);
      ShadowServerCsv(agg, p, vulnerable, [&out](std::string_view piece) {
        out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
      });
      out.close();
      if (!out) return CannotWrite(name);
    }
  }
  return absl::OkStatus();
}

}  // namespace mailsweep::results
