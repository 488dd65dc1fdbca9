#include "engine/scan/prior_results.h"

#include <sys/stat.h>

#include "base/strings.h"
#include "results/format/record_reader.h"

namespace mailsweep::engine {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
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

}  // namespace

absl::StatusOr<PriorResults> ReadPriorResults(const std::string& output, const std::string& scan_id,
                                              std::string* next_file) {
  PriorVisitor visitor;
  PriorResults prior;
  for (int i = 0;; ++i) {
    const std::string path = i == 0 ? output : StrCat(output, ".", i);
    if (!FileExists(path)) {
      *next_file = path;
      break;
    }
    auto reader = results::RecordFileReader::Open(path);
    if (!reader.ok()) {
      // A run killed before its header reached the disk leaves an empty file: nothing in it.
      if (absl::IsDataLoss(reader.status())) {
        prior.files.push_back(path);
        continue;
      }
      return reader.status();
    }
    if ((*reader)->header().scan_id != scan_id) {
      return absl::FailedPreconditionError(StrCat("cannot resume: ", path, " belongs to scan ",
                                                  (*reader)->header().scan_id,
                                                  ", the checkpoint to scan ", scan_id));
    }
    results::ReadStats stats = (*reader)->Scan(&visitor, {});
    prior.corruptions += stats.corruptions;
    prior.torn_tail_bytes += stats.torn_tail_bytes;
    prior.files.push_back(path);
  }
  for (const LiveTarget& t : visitor.open) {
    if (!visitor.probed.contains(TargetKey(t.address, t.port))) prior.pending.push_back(t);
  }
  prior.claimed = std::move(visitor.probed);
  for (const LiveTarget& t : prior.pending) prior.claimed.insert(TargetKey(t.address, t.port));
  prior.swept = std::move(visitor.swept);
  return prior;
}

}  // namespace mailsweep::engine
