// The roll-up's join phase: each thread takes partitions in turn, joins their lists from every
// reading worker (results/agg/read_worker.h) in its worker's scratch table, where the ports of a
// host meet, classifies each host x protocol (results/agg/verdict_table.h), looks up its country
// and counts; a partition's lists are freed once joined. Used by Aggregator::Run()
// (results/agg/aggregator.h), after the reading phase.
// Thread rules: Work(i) from `threads` threads at once, each with its own i; the constructor and
// MergeInto() from the thread that owns the aggregator, before and after them.
//
// Example:
//   PartitionJoin join(options, bits, workers, &partitions_joined);
//   InParallel(threads, [&](int i) { join.Work(i); });
//   join.MergeInto(&summary, &hosts);
#ifndef MAILSWEEP_RESULTS_AGG_PARTITION_JOIN_H_
#define MAILSWEEP_RESULTS_AGG_PARTITION_JOIN_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "results/agg/aggregate_summary.h"
#include "results/agg/geo.h"
#include "results/agg/host_row.h"
#include "results/agg/join_tuples.h"
#include "results/agg/read_worker.h"
#include "results/agg/verdict_table.h"

namespace mailsweep::results {

// log2 of the number of partitions for `input_bytes` of record files (see
// AggregateOptions::partition_bits).
unsigned PartitionBitsFor(uint64_t input_bytes, const AggregateOptions& options);

class PartitionJoin {
 public:
  // `workers` (one per thread), `pools` (theirs, for ties) and `joined` (counts joined
  // partitions for progress) must outlive the join.
  PartitionJoin(const AggregateOptions& options, unsigned bits,
                std::span<const std::unique_ptr<ReadWorker>> workers, const ObsPools* pools,
                std::atomic<uint32_t>* joined);
  ~PartitionJoin();

  // Thread i's part: joins partitions until none are left; uses workers[i]'s scratch tables.
  void Work(int i);
  // Once every Work() returned: frees the workers' tuple pages, adds the counts to `summary`
  // and appends the host rows (unsorted) to `hosts`.
  void MergeInto(Summary* summary, std::vector<HostRow>* hosts);

 private:
  struct PartResult;

  const AggregateOptions& options_;
  const unsigned bits_;
  const std::span<const std::unique_ptr<ReadWorker>> workers_;
  const ObsPools* const pools_;
  std::atomic<uint32_t>* const joined_;
  const GeoDb* geo_;
  std::unique_ptr<GeoDb> unknown_;  // geo_ when options.geo is nullptr: every address is ZZ
  const VerdictTable verdicts_;
  std::vector<PartResult> results_;  // by thread
  std::atomic<uint32_t> next_part_{0};
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_PARTITION_JOIN_H_
