#include "results/agg/aggregator.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "base/strings.h"
#include "results/agg/partition_join.h"
#include "results/agg/read_worker.h"
#include "results/format/log_format.h"

namespace mailsweep::results {

namespace {

// Wall and process CPU seconds at construction: where Run() spent its time.
struct PhaseClock {
  static double Seconds(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  const double wall = Seconds(CLOCK_MONOTONIC);
  const double cpu = Seconds(CLOCK_PROCESS_CPUTIME_ID);
};

// Calls f(0) .. f(n - 1) at once, f(0) on the calling thread; returns when all have returned.
template <typename F>
void InParallel(int n, F&& f) {
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back(f, i);
  f(0);
  for (auto& t : threads) t.join();
}

}  // namespace

Aggregator::Aggregator(AggregateOptions options) : options_(options) {
  if (options_.threads < 1) options_.threads = 1;
  if (options_.threads > 254) options_.threads = 254;
  summary_.policy = options_.policy;
}

Aggregator::~Aggregator() = default;

absl::Status Aggregator::AddFile(const std::string& path) {
  auto r = RecordFileReader::Open(path);
  if (!r.ok()) {
    summary_.file_errors.push_back(std::string(r.status().message()));
    return r.status();
  }
  if (summary_.files.empty()) summary_.first_start_time_us = (*r)->header().start_time_us;
  summary_.files.push_back(path);
  readers_.push_back(*std::move(r));
  return absl::OkStatus();
}

void Aggregator::Run() {
  const PhaseClock read_start;
  const unsigned bits = StartReading();
  ReadFiles();
  const PhaseClock join_start;
  summary_.read_seconds = join_start.wall - read_start.wall;
  summary_.read_cpu_seconds = join_start.cpu - read_start.cpu;
  phase_.store(AggregateProgress::kJoining);
  partitions_.store(uint32_t{1} << bits);
  GatherReadResults();
  Join(bits);
  const PhaseClock join_end;
  summary_.join_seconds = join_end.wall - join_start.wall;
  summary_.join_cpu_seconds = join_end.cpu - join_start.cpu;
  phase_.store(AggregateProgress::kSorting);
  SortHostRows(&hosts_);
  phase_.store(AggregateProgress::kDone);
}

unsigned Aggregator::StartReading() {
  uint64_t bytes = 0;
  for (const auto& r : readers_) bytes += r->size();
  bytes_total_.store(bytes);
  bytes_read_.store(0);
  records_read_.store(0);
  partitions_joined_.store(0);
  phase_.store(AggregateProgress::kReading);
  const unsigned bits = PartitionBitsFor(bytes, options_);
  const uint64_t budget =
      options_.memory_budget != 0 ? options_.memory_budget : MachineMemoryBudget();
  const int n = options_.threads;
  workers_.clear();
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<ReadWorker>();
    w->id = static_cast<uint8_t>(i);
    w->collect = options_.collect_hosts;
    w->Init(bits, options_.compact_tuples, budget / static_cast<uint64_t>(n));
    workers_.push_back(std::move(w));
  }
  pools_ = std::make_unique<ObsPools>();
  for (const auto& w : workers_) {
    pools_->banners.push_back(&w->banners);
    pools_->ciphers.push_back(&w->ciphers);
    pools_->cert_ids.push_back(&w->cert_ids);
    w->pools = pools_.get();
  }
  return bits;
}

// Work items are block ranges of the files, taken in turn by the workers.
void Aggregator::ReadFiles() {
  struct Task {
    const RecordFileReader* reader;
    uint64_t begin, end;
  };
  std::vector<Task> tasks;
  for (const auto& r : readers_) {
    uint64_t blocks = std::max<uint64_t>(r->blocks(), 1);
    for (uint64_t b = 0; b < blocks; b += options_.blocks_per_task) {
      tasks.push_back({r.get(), b, std::min(blocks, b + options_.blocks_per_task)});
    }
  }
  std::atomic<size_t> next{0};
  InParallel(options_.threads, [&](int i) {
    ReadWorker* w = workers_[i].get();
    CorruptionFn report = [w](const Corruption& c) {
      if (w->corruptions.size() < 1000) w->corruptions.push_back(c);
    };
    for (size_t t; (t = next.fetch_add(1)) < tasks.size();) {
      const Task& task = tasks[t];
      ReadStats read = task.reader->Scan(w, report, task.begin, task.end);
      w->stats.Add(read);
      bytes_read_.fetch_add(std::min(task.end * log::kBlockSize, task.reader->size()) -
                                std::min(task.begin * log::kBlockSize, task.reader->size()),
                            std::memory_order_relaxed);
      records_read_.fetch_add(read.probe_records + read.sweep_records, std::memory_order_relaxed);
    }
    w->FlushLines();
  });
}

// The workers' counts, corruptions and certificates go to the summary.
void Aggregator::GatherReadResults() {
  peak_tuples_ = 0;
  for (const auto& w : workers_) {
    peak_tuples_ += w->peak_tuples;
    summary_.read.Add(w->stats);
    summary_.other_port_records += w->other_port;
    for (const Corruption& c : w->corruptions) {
      if (summary_.corruptions.size() < 1000) summary_.corruptions.push_back(c);
    }
    for (int s = 0; s < kMailPorts; ++s) {
      for (size_t o = 0; o < kProbeOutcomeSlots; ++o)
        summary_.outcomes[ProtocolIndexOfSlot(s)][o] += w->outcomes[s][o];
    }
    for (auto& [sha, cert] : w->certs) certs_.try_emplace(sha, std::move(cert));
    w->certs.clear();
  }
  // Certificates that probe records refer to but no file defines (a damaged file): their columns
  // stay empty, and the loss is reported.
  absl::flat_hash_set<std::string_view> lost;
  for (const auto& w : workers_) {
    for (uint32_t id = 1; id <= w->cert_ids.size(); ++id) {
      const std::string_view sha = w->cert_ids.Get(id);
      if (!certs_.contains(ToAbsl(sha))) lost.insert(sha);
    }
  }
  if (!lost.empty()) {
    ++summary_.read.corruptions;
    summary_.corruptions.push_back(
        Corruption{"the input files", 0, 0,
                   StrCat(lost.size(), " certificate(s) that probe records refer to have no ",
                          "definition in the files: their columns are left empty"),
                   false, Damage::kLostDefinition});
  }
}

void Aggregator::Join(unsigned bits) {
  PartitionJoin join(options_, bits, workers_, pools_.get(), &partitions_joined_);
  InParallel(options_.threads, [&join](int i) { join.Work(i); });
  join.MergeInto(&summary_, &hosts_);
}

AggregateProgress Aggregator::progress() const {
  AggregateProgress p;
  p.phase = static_cast<AggregateProgress::Phase>(phase_.load());
  p.bytes_total = bytes_total_.load(std::memory_order_relaxed);
  p.bytes_read = bytes_read_.load(std::memory_order_relaxed);
  p.records = records_read_.load(std::memory_order_relaxed);
  p.partitions = partitions_.load(std::memory_order_relaxed);
  p.partitions_joined = partitions_joined_.load(std::memory_order_relaxed);
  return p;
}

std::string_view Aggregator::Banner(const PortObs& o) const {
  if (!o.present() || static_cast<size_t>(o.worker()) >= workers_.size()) return {};
  return workers_[o.worker()]->banners.Get(o.banner);
}

std::string_view Aggregator::Domain(uint32_t address, uint16_t port) const {
  const uint64_t key = uint64_t{address} << 16 | port;
  std::string_view best;
  uint32_t best_time = 0;
  for (const auto& w : workers_) {
    if (w->names.empty()) continue;
    auto it = w->names.find(key);
    if (it == w->names.end()) continue;
    const std::string_view name = w->domains.Get(it->second.domain);
    // Ties go by content, as in the reading worker: the greater name.
    if (!best.empty() && (it->second.time_s < best_time ||
                          (it->second.time_s == best_time && name < best))) {
      continue;
    }
    best = name;
    best_time = it->second.time_s;
  }
  return best;
}

std::string_view Aggregator::Cipher(const PortObs& o) const {
  if (!o.present() || static_cast<size_t>(o.worker()) >= workers_.size()) return {};
  return workers_[o.worker()]->ciphers.Get(o.cipher);
}

const CertificateFacts* Aggregator::Certificate(const PortObs& o) const {
  if (!o.present() || static_cast<size_t>(o.worker()) >= workers_.size() || o.cert == 0) {
    return nullptr;
  }
  auto it = certs_.find(ToAbsl(workers_[o.worker()]->cert_ids.Get(o.cert)));
  return it == certs_.end() ? nullptr : &it->second;
}

}  // namespace mailsweep::results
