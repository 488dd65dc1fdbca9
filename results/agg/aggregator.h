// The roll-up behind `mailsweep-agg report`: reads any number of record files in parallel (work
// items are block ranges of files), joins per address the related ports of each protocol,
// classifies every host x protocol (results/agg/classification.h), looks up its country and counts
// country x protocol x class. The join is a radix-partitioned hash join: reading appends 24-byte
// tuples to per-partition lists (sequential writes), then each partition is joined in a table
// that fits the L2 cache. Memory grows with distinct (address, port) keys and distinct
// strings/certificates, not with records, beyond a budget (lists are compacted, see
// compact_tuples and memory_budget).
// Without per-host details (collect_hosts = false) it reads only each probe's summary fields
// (decoded by ChunkDecoder::DecodeSummaries, results/format/chunk_decoder.h, with the per-record
// code inlined; record formats 3 and 4 let the reader skip the rest), appends 8-byte tuples through
// four cache lines per partition, and joins them per address (one geo lookup for all of an
// address's protocols).
//
// Ties: the latest probe of an (address, port) wins; two probes in the same second (ObsTime,
// host_row.h, on both paths) go by content, never by which file or thread came first:
// the greater TLS version code, then traits, outcome, flags, banner, cipher and certificate
// SHA-256 (TieGoesTo, results/agg/join_tuples.h), and for names the greater name. The report is
// then the same for the same files in any order and with any number of threads.
//
// Thread rules: AddFile/Run/accessors from one thread; Run() uses `threads` workers internally.
//
// Example:
//   Aggregator agg({.policy = Policy::kShadowServer, .geo = geo.get(), .threads = 2});
//   MAILSWEEP_RETURN_IF_ERROR(agg.AddFile("run.msr"));
//   agg.Run();
//   for (const HostRow& h : agg.hosts()) ...
#ifndef MAILSWEEP_RESULTS_AGG_AGGREGATOR_H_
#define MAILSWEEP_RESULTS_AGG_AGGREGATOR_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "results/agg/aggregate_summary.h"
#include "results/agg/classification.h"
#include "results/agg/geo.h"
#include "results/agg/host_row.h"
#include "results/agg/memory_budget.h"
#include "results/format/record_reader.h"

namespace mailsweep::results {

struct ObsPools;    // results/agg/join_tuples.h
struct ReadWorker;  // results/agg/read_worker.h

// Where a Run() is, for a progress line: readable from any thread while Run() works.
struct AggregateProgress {
  enum Phase { kIdle, kReading, kJoining, kSorting, kDone } phase = kIdle;
  uint64_t bytes_total = 0, bytes_read = 0;  // of the record files
  uint64_t records = 0;                      // read so far
  uint32_t partitions = 0, partitions_joined = 0;
};

class Aggregator {
 public:
  explicit Aggregator(AggregateOptions options);
  ~Aggregator();

  // Opens a file; an unreadable file is recorded in summary().file_errors and returned.
  absl::Status AddFile(const std::string& path);
  void Run();

  const Summary& summary() const { return summary_; }
  // Sorted by address, then protocol. Empty unless collect_hosts.
  const std::vector<HostRow>& hosts() const { return hosts_; }

  // Thread-safe: another thread may ask while Run() works.
  AggregateProgress progress() const;

  // How the join went: its partitions, and the most tuples the reading workers held (the sum
  // of each worker's peak; 24 bytes each, 16 without per-host details).
  uint32_t partitions() const { return partitions_.load(std::memory_order_relaxed); }
  uint64_t peak_tuples() const { return peak_tuples_; }

  // Details of a probe (valid while the aggregator lives).
  std::string_view Banner(const PortObs& o) const;
  std::string_view Cipher(const PortObs& o) const;
  const CertificateFacts* Certificate(const PortObs& o) const;
  // The name (ProbeRecord::domain) of the latest named probe of (address, port); "" when none
  // was named. Kept beside the join, only for named records and only with collect_hosts.
  std::string_view Domain(uint32_t address, uint16_t port) const;


 private:
  // Run()'s steps. Resets the progress counters and makes a worker per thread; returns log2 of
  // the number of partitions.
  unsigned StartReading();
  void ReadFiles();
  void GatherReadResults();
  void Join(unsigned bits);

  AggregateOptions options_;
  std::vector<std::unique_ptr<RecordFileReader>> readers_;
  std::vector<std::unique_ptr<ReadWorker>> workers_;
  std::unique_ptr<ObsPools> pools_;  // the workers' string pools, for ties
  absl::flat_hash_map<std::string, CertificateFacts> certs_;  // by sha256
  Summary summary_;
  std::vector<HostRow> hosts_;
  uint64_t peak_tuples_ = 0;
  std::atomic<int> phase_{AggregateProgress::kIdle};
  std::atomic<uint64_t> bytes_total_{0}, bytes_read_{0}, records_read_{0};
  std::atomic<uint32_t> partitions_{0}, partitions_joined_{0};
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_AGGREGATOR_H_
