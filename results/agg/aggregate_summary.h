// What the roll-up is asked to do (AggregateOptions) and what it counted (Summary, with
// CountryCounts per country x protocol): plain values shared by the Aggregator
// (results/agg/aggregator.h), its join (results/agg/partition_join.h) and the outputs that print
// a summary. Value types; no thread rules of their own.
#ifndef MAILSWEEP_RESULTS_AGG_AGGREGATE_SUMMARY_H_
#define MAILSWEEP_RESULTS_AGG_AGGREGATE_SUMMARY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "results/agg/classification.h"
#include "results/agg/geo.h"
#include "results/format/record_reader.h"

namespace mailsweep::results {

struct AggregateOptions {
  Policy policy = Policy::kShadowServer;
  const GeoDb* geo = nullptr;  // borrowed; nullptr: every address is ZZ
  const AsnDb* asn = nullptr;  // borrowed, optional: fills HostRow::asn
  int threads = 1;
  bool collect_hosts = true;  // keep per-host details for the per-host CSVs
  uint64_t blocks_per_task = 64;
  // A reading worker keeps each partition's observations as a list of tuples and compacts a
  // list (the latest observation per address and port) when it reaches this many tuples and
  // twice its size after the last compaction, once the workers' tuples take more than
  // memory_budget bytes: many runs over the same hosts then cost memory per distinct (address,
  // port), not per record, and inputs that fit the budget are not compacted (compaction costs a
  // join per tuple, and a single run has nothing to drop: 2.7 s of 6.3 reading 100 million
  // records). Tests lower both.
  size_t compact_tuples = 16384;
  // 0: MachineMemoryBudget() (results/agg/memory_budget.h).
  uint64_t memory_budget = 0;
  // log2 of the number of partitions; 0: chosen from the input's size (~16384 records each, up
  // to 4096 partitions; at least 1024 without per-host details). Tests force the larger counts
  // that only inputs of over ~17 million records would get.
  unsigned partition_bits = 0;
};

struct CountryCounts {
  std::array<uint64_t, kHostClassCount> classes{};
  uint64_t without_tls = 0;
};

struct Summary {
  Policy policy = Policy::kShadowServer;
  std::vector<std::string> files;
  int64_t first_start_time_us = 0;  // the first file's header start time (0 when unknown)
  ReadStats read;
  std::vector<Corruption> corruptions;   // the first 1000
  std::vector<std::string> file_errors;  // files that could not be opened
  uint64_t other_port_records = 0;
  // key: (country key << 8) | protocol index
  std::map<uint32_t, CountryCounts> counts;
  std::array<CountryCounts, kMailProtocols> totals{};
  // probe records per protocol and outcome (index = ProbeOutcome value, 0 = out of range)
  std::array<std::array<uint64_t, kProbeOutcomeSlots>, kMailProtocols> outcomes{};
  // hosts with working TLS per protocol by version: SSLv3, TLS 1.0, 1.1, 1.2, 1.3, other
  std::array<std::array<uint64_t, 6>, kMailProtocols> tls_versions{};
  // Where Run() spent its time: reading (decoding, partitioning) and joining (with classifying
  // and counting); wall seconds, and CPU seconds of the whole process (all workers).
  double read_seconds = 0, read_cpu_seconds = 0;
  double join_seconds = 0, join_cpu_seconds = 0;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_AGGREGATE_SUMMARY_H_
