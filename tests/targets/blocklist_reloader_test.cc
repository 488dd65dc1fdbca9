#include "targets/blocklist_reloader.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <optional>

#include "targets/blocklist.h"

namespace mailsweep::targets {
namespace {

uint32_t Ip(const char* text) { return *ParseIpv4(text); }

// A temporary -b file, removed when the guard goes.
struct TempFile {
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/mailsweep-reload-XXXXXX";
    int fd = mkstemp(tmpl);
    close(fd);
    path = tmpl;
    Write(content);
  }
  ~TempFile() { unlink(path.c_str()); }
  // In place, as `cat >` does: the same file, new text.
  void Write(const std::string& content) const { std::ofstream(path) << content; }
  void Append(const std::string& content) const { std::ofstream(path, std::ios::app) << content; }
  std::string path;
};

// The lab's run: 198.18.0.0/15 allowed, the file's ranges blocked from the start.
struct Run {
  explicit Run(const TempFile& file) {
    std::vector<std::string> notes;
    start = Blocklist::Build({file.path}, {"198.18.0.0/15"}, &notes)->all();
    auto r = BlocklistReloader::Open({file.path}, {"198.18.0.0/15"}, start, &overlay);
    REQUIRE(r.ok());
    reloader.emplace(*std::move(r));
    reloader->Adopt(start);
  }
  IntervalSet start;
  ExclusionOverlay overlay;
  std::optional<BlocklistReloader> reloader;
};

TEST_CASE("BlocklistReloader: a fresh run excludes nothing beyond its start", "[reload]") {
  TempFile file("198.18.5.0/24\n");
  Run run(file);
  CHECK(run.reloader->excluded().empty());
  CHECK(run.overlay.Current() == nullptr);
  // Re-reading the same text adds nothing.
  ReloadOutcome r = run.reloader->Reload();
  REQUIRE(r.status.ok());
  CHECK(r.added == 0);
  CHECK(r.kept == 0);
  CHECK(run.overlay.Current() == nullptr);
}

TEST_CASE("BlocklistReloader: appended ranges are published at once", "[reload]") {
  TempFile file("198.18.5.0/24\n");
  Run run(file);
  file.Append("198.18.7.0/24\n# a comment\n198.18.5.9\n198.19.0.1-198.19.0.3\n");
  ReloadOutcome r = run.reloader->Reload();
  REQUIRE(r.status.ok());
  CHECK(r.added == 256 + 3);  // 198.18.5.9 was blocked from the start
  REQUIRE(run.overlay.Current() != nullptr);
  CHECK(IsExcluded(run.overlay.Current(), Ip("198.18.7.200")));
  CHECK(IsExcluded(run.overlay.Current(), Ip("198.19.0.2")));
  CHECK_FALSE(IsExcluded(run.overlay.Current(), Ip("198.18.5.9")));  // the walk leaves it out
  CHECK_FALSE(IsExcluded(run.overlay.Current(), Ip("198.18.8.1")));
  CHECK(run.reloader->excluded().Count() == 259);
}

TEST_CASE("BlocklistReloader: a bad line keeps the list in force and names file and line",
          "[reload]") {
  TempFile file("198.18.5.0/24\n");
  Run run(file);
  file.Append("198.18.7.0/24\n");
  REQUIRE(run.reloader->Reload().status.ok());
  const IntervalSet* before = run.overlay.Current();
  file.Append("198.18.9.0/24\n10.0.0.300\n");
  ReloadOutcome r = run.reloader->Reload();
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.message().find(file.path + ":4:") != absl::string_view::npos);
  CHECK(run.overlay.Current() == before);
  CHECK_FALSE(IsExcluded(run.overlay.Current(), Ip("198.18.9.1")));
}

TEST_CASE("BlocklistReloader: ranges removed from the file stay blocked and are counted",
          "[reload]") {
  TempFile file("198.18.5.0/24\n");
  Run run(file);
  file.Append("198.18.7.0/24\n");
  REQUIRE(run.reloader->Reload().status.ok());
  file.Write("198.18.6.0/31\n");  // both the start's and the reload's ranges gone
  ReloadOutcome r = run.reloader->Reload();
  REQUIRE(r.status.ok());
  CHECK(r.added == 2);
  CHECK(r.kept == 512);
  CHECK(IsExcluded(run.overlay.Current(), Ip("198.18.7.1")));
  CHECK(IsExcluded(run.overlay.Current(), Ip("198.18.6.1")));
}

TEST_CASE("BlocklistReloader: a file replaced by a new one is reported, not silently kept",
          "[reload]") {
  TempFile file("198.18.5.0/24\n");
  Run run(file);
  const std::string next = file.path + ".new";
  std::ofstream(next) << "198.18.5.0/24\n198.18.7.0/24\n";
  REQUIRE(std::rename(next.c_str(), file.path.c_str()) == 0);  // as an editor saves
  ReloadOutcome r = run.reloader->Reload();
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.message().find("replaced by another file") != absl::string_view::npos);
  CHECK(run.overlay.Current() == nullptr);
}

// A Kubernetes ConfigMap update: the path is a symlink moved to a new file, while the old file
// keeps a link of its own, so the open file still looks alive.
TEST_CASE("BlocklistReloader: a symlink moved to another file is reported, not silently kept",
          "[reload]") {
  TempFile old_file("198.18.5.0/24\n");
  TempFile new_file("198.18.5.0/24\n198.18.7.0/24\n");
  const std::string link = old_file.path + ".link";
  REQUIRE(symlink(old_file.path.c_str(), link.c_str()) == 0);
  std::vector<std::string> notes;
  ExclusionOverlay overlay;
  IntervalSet start = Blocklist::Build({link}, {"198.18.0.0/15"}, &notes)->all();
  auto reloader = BlocklistReloader::Open({link}, {"198.18.0.0/15"}, start, &overlay);
  REQUIRE(reloader.ok());
  const std::string swap = link + ".swap";
  REQUIRE(symlink(new_file.path.c_str(), swap.c_str()) == 0);
  REQUIRE(std::rename(swap.c_str(), link.c_str()) == 0);
  ReloadOutcome r = reloader->Reload();
  unlink(link.c_str());
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.message().find("replaced by another file") != absl::string_view::npos);
  CHECK(overlay.Current() == nullptr);
}

TEST_CASE("BlocklistReloader: a removed file is reported", "[reload]") {
  TempFile file("198.18.5.0/24\n");
  Run run(file);
  unlink(file.path.c_str());
  ReloadOutcome r = run.reloader->Reload();
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.message().find(": removed since the start") != absl::string_view::npos);
}

TEST_CASE("BlocklistReloader: a resume adopts what its blocklist holds beyond the first run's",
          "[reload]") {
  TempFile file("198.18.5.0/24\n198.18.7.0/24\n");
  std::vector<std::string> notes;
  const IntervalSet first_run = Blocklist::Build({}, {"198.18.0.0/15"}, &notes)
                                    ->all()
                                    .Union(IntervalSet({*ParseIpv4Range("198.18.5.0/24")}));
  const IntervalSet now = Blocklist::Build({file.path}, {"198.18.0.0/15"}, &notes)->all();
  ExclusionOverlay overlay;
  auto reloader = BlocklistReloader::Open({file.path}, {"198.18.0.0/15"}, first_run, &overlay);
  REQUIRE(reloader.ok());
  reloader->Adopt(now);
  CHECK(reloader->excluded() == IntervalSet({*ParseIpv4Range("198.18.7.0/24")}));
  CHECK(IsExcluded(overlay.Current(), Ip("198.18.7.9")));
}

TEST_CASE("CheckBlocklistKeeps: a grown blocklist passes, a shrunk one is refused", "[reload]") {
  const IntervalSet before({*ParseIpv4Range("198.18.5.0/24"), *ParseIpv4Range("198.18.7.4")});
  CHECK(CheckBlocklistKeeps(before, before).ok());
  CHECK(
      CheckBlocklistKeeps(before, before.Union(IntervalSet({*ParseIpv4Range("1.2.3.0/24")}))).ok());
  const absl::Status s =
      CheckBlocklistKeeps(before, IntervalSet({*ParseIpv4Range("198.18.5.0/25")}));
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message().find("129 address(es)") != absl::string_view::npos);
  CHECK(s.message().find("198.18.5.128/25") != absl::string_view::npos);
}

}  // namespace
}  // namespace mailsweep::targets
