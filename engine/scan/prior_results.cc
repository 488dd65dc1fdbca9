#include "engine/scan/prior_results.h"

#include <dirent.h>
#include <sys/stat.h>

#include <charconv>
#include <memory>

#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "results/format/record_reader.h"

namespace mailsweep::engine {
namespace {

constexpr size_t kMaxCorruptionNotes = 5;

absl::Status Refuse(const std::string& path, std::string_view why) {
  return absl::FailedPreconditionError(StrCat("cannot resume: ", path, ": ", why));
}

enum class FileState { kMissing, kEmpty, kPresent };

FileState StateOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return FileState::kMissing;
  return st.st_size == 0 ? FileState::kEmpty : FileState::kPresent;
}

// The reader's message without the path it starts with (Refuse() names the file already).
std::string_view WithoutPath(std::string_view message, const std::string& path) {
  if (message.starts_with(path) && message.substr(path.size()).starts_with(": ")) {
    message.remove_prefix(path.size() + 2);
  }
  return message;
}

// A file of the scan is one whose header says the checkpoint's scan id, seed, shards, shard and
// ports: anything else was written by another scan (or copied from one).
absl::Status CheckHeader(const std::string& path, const results::FileHeader& h,
                         const Checkpoint& cp) {
  if (h.scan_id != cp.scan_id) {
    return Refuse(path, StrCat("belongs to scan ", Quote(h.scan_id), ", the checkpoint to scan ",
                               cp.scan_id));
  }
  std::vector<std::string> diffs;
  auto differ = [&](std::string_view what, const std::string& file, const std::string& ckpt) {
    if (file != ckpt)
      diffs.push_back(
          StrCat(what, " differs (", file, " in the file, ", ckpt, " in the checkpoint)"));
  };
  differ("seed", StrCat(h.seed), StrCat(cp.seed));
  differ("shards", StrCat(h.shards), StrCat(cp.shards));
  differ("shard", StrCat(h.shard), StrCat(cp.shard));
  differ("ports", absl::StrJoin(h.ports, ","), absl::StrJoin(cp.ports, ","));
  if (diffs.empty()) return absl::OkStatus();
  return Refuse(path, absl::StrJoin(diffs, "; "));
}

// The largest N of an existing OUTPUT.N, 0 when there is none.
size_t LastNumberedFile(const std::string& output) {
  const size_t slash = output.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : output.substr(0, slash + 1);
  const std::string prefix = FileNameOf(output) + ".";
  size_t last = 0;
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return 0;
  while (const dirent* e = readdir(d.get())) {
    const std::string_view name(e->d_name);
    if (!name.starts_with(prefix)) continue;
    const std::string_view digits = name.substr(prefix.size());
    size_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && end == digits.data() + digits.size() && n > last) last = n;
  }
  return last;
}

class PriorVisitor : public results::RecordVisitor {
 public:
  void OnSweep(const results::SweepRecord& r) override {
    swept.insert(TargetKey(r.address, r.port));
    if (r.status == results::SweepStatus::kOpen) open.push_back({r.address, r.port});
  }
  void OnProbe(const results::ProbeView& r) override {
    probed.insert(TargetKey(r.address, r.port));
  }

  absl::flat_hash_set<uint64_t> swept;
  absl::flat_hash_set<uint64_t> probed;
  std::vector<LiveTarget> open;
};

// Reads the files one by one into one visitor.
class PriorReader {
 public:
  explicit PriorReader(const Checkpoint& cp) : cp_(cp) {}

  // `path` exists and is not empty: its header must be intact and the scan's.
  absl::Status Read(const std::string& path) {
    auto reader = results::RecordFileReader::Open(path);
    if (!reader.ok()) {
      const std::string_view why = WithoutPath(ToStd(reader.status().message()), path);
      if (absl::IsDataLoss(reader.status())) return Refuse(path, StrCat("header damaged: ", why));
      if (absl::IsUnimplemented(reader.status())) return Refuse(path, why);
      return reader.status();
    }
    MAILSWEEP_RETURN_IF_ERROR(CheckHeader(path, (*reader)->header(), cp_));
    results::ReadStats stats = (*reader)->Scan(&visitor_, [this](const results::Corruption& c) {
      if (c.torn_tail || prior_.corruption_notes.size() >= kMaxCorruptionNotes) return;
      prior_.corruption_notes.push_back(
          StrCat(c.file, " at offset ", c.offset, ": ", c.reason, " (", c.bytes, " bytes)"));
    });
    prior_.corruptions += stats.corruptions;
    prior_.dropped_bytes += stats.dropped_bytes;
    prior_.torn_tail_bytes += stats.torn_tail_bytes;
    prior_.files.push_back(path);
    return absl::OkStatus();
  }

  PriorResults Finish() {
    for (const LiveTarget& t : visitor_.open) {
      if (!visitor_.probed.contains(TargetKey(t.address, t.port))) prior_.pending.push_back(t);
    }
    prior_.claimed = std::move(visitor_.probed);
    for (const LiveTarget& t : prior_.pending) prior_.claimed.insert(TargetKey(t.address, t.port));
    prior_.swept = std::move(visitor_.swept);
    return std::move(prior_);
  }

 private:
  const Checkpoint& cp_;
  PriorVisitor visitor_;
  PriorResults prior_;
};

}  // namespace

absl::StatusOr<PriorResults> ReadPriorResults(const Checkpoint& cp, std::string* next_file) {
  PriorReader reader(cp);
  size_t i = 0;
  // The files the checkpoint names: each must be there, intact and the scan's.
  for (; cp.files_known && i < cp.files.size(); ++i) {
    const std::string path = RecordFilePath(cp.output, i);
    switch (StateOf(path)) {
      case FileState::kMissing:
        return Refuse(path, "missing (the checkpoint names it; moved or renamed?)");
      case FileState::kEmpty:
        return Refuse(path, "empty, but the checkpoint names it: its records are lost");
      case FileState::kPresent:
        MAILSWEEP_RETURN_IF_ERROR(reader.Read(path));
    }
  }
  // Files after those were left by a run killed before its checkpoint named them: valid ones are
  // read, an empty one (its header never reached the disk) is written over. A checkpoint always
  // has a first file.
  std::string path;
  for (;; ++i) {
    path = RecordFilePath(cp.output, i);
    const FileState state = StateOf(path);
    if (state != FileState::kPresent) {
      if (i == 0) {
        return Refuse(path, state == FileState::kMissing
                                ? "missing (the scan's first record file; moved or renamed?)"
                                : "empty: the scan's first record file has no header");
      }
      break;
    }
    MAILSWEEP_RETURN_IF_ERROR(reader.Read(path));
  }
  // Nothing numbered beyond the file this run writes: a gap means a file was lost or moved.
  if (const size_t last = LastNumberedFile(cp.output); last > i) {
    return Refuse(RecordFilePath(cp.output, last),
                  StrCat("exists, but ", path, " before it is ",
                         StateOf(path) == FileState::kEmpty ? "empty" : "missing",
                         ": a gap in the scan's record files"));
  }
  *next_file = path;
  return reader.Finish();
}

}  // namespace mailsweep::engine
