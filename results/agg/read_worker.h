// The roll-up's reading worker: a RecordVisitor that decodes its share of the record files'
// blocks and appends each mail-port probe, reduced to a tuple (24 bytes, or 8 without per-host
// details; results/agg/join_tuples.h), to the list of its partition: sequential writes only, no
// lookups in a table larger than the caches. It also counts outcomes, interns the strings the
// per-host rows name, and compacts a partition's list when memory runs short. The Aggregator
// (results/agg/aggregator.h) owns one per thread; the join (results/agg/partition_join.h) then
// takes their lists.
// Thread rules: one thread reads into a worker; after FlushLines() and a join of the threads,
// the join's threads take its lists, and the Aggregator's accessors read its pools.
//
// Example:
//   ReadWorker w;
//   w.collect = false;
//   w.Init(bits, options.compact_tuples, budget / threads);
//   reader->Scan(&w, report, begin, end);
//   w.FlushLines();
#ifndef MAILSWEEP_RESULTS_AGG_READ_WORKER_H_
#define MAILSWEEP_RESULTS_AGG_READ_WORKER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "results/agg/address_table.h"
#include "results/agg/classification.h"
#include "results/agg/host_table.h"
#include "results/agg/join_tuples.h"
#include "results/agg/string_pool.h"
#include "results/agg/tuple_storage.h"
#include "results/format/record_reader.h"

namespace mailsweep::results {

struct ReadWorker final : public RecordVisitor {
  uint8_t id = 0;
  const ObsPools* pools = nullptr;  // every worker's pools, for ties; set before reading
  bool collect = true;
  unsigned bits = 0;
  // One of the two is used: `parts` with per-host details, `slim_parts` without.
  std::vector<TupleList<Tuple>> parts;
  std::vector<TupleList<SlimTuple>> slim_parts;
  std::unique_ptr<PageArena> arena;  // slim_parts' pages, until the end of the join
  // Each slim partition's next tuples gather in 1 << kLineShift cache lines here (256 KiB in
  // all for 1,024 partitions, 1 MiB for 4,096) and reach the list those lines at a time: the
  // scattered writes to the lists were the reading phase's main cost (a cache miss for every
  // fourth tuple). Four lines at a time read faster than one or two (the flushes are fewer, and
  // the non-temporal stores, which reach only ~3 GB/s spread over the lists, come in runs):
  // 0.37 s against 0.38 and 0.39 for 10 million records, and with 4,096 partitions (50 million
  // records) 1.77-1.87 s against 2.11-2.37, although the lines then no longer fit L2.
  static constexpr unsigned kLineShift = 2;
  static constexpr size_t kPerLineBuffer = TupleList<SlimTuple>::kPerLine << kLineShift;
  std::unique_ptr<TupleLine[]> slim_lines;
  std::vector<uint8_t> slim_line_n;  // tuples waiting per partition
  // A partition is compacted (one tuple per (address, port): the latest) when it reaches this
  // size (AggregateOptions::compact_tuples).
  std::vector<size_t> compact_at;
  size_t compact_min = 0;
  size_t held_tuples = 0, peak_tuples = 0;
  size_t compact_when_held = 0;  // this worker's share of AggregateOptions::memory_budget
  HostTable<HostState> scratch;
  AddressTable<AddressState> slim_scratch;
  StringPool banners{(1u << 24) - 1};
  StringPool ciphers{0xffff};
  StringPool cert_ids{(1u << 24) - 1};  // sha256 bytes
  absl::flat_hash_map<std::string, CertificateFacts> certs;
  // Named probes (a target's domain, e.g. from ZGrab2 input), latest per (address << 16 | port).
  struct Named {
    uint32_t time_s;
    uint32_t domain;  // id in `domains`
  };
  StringPool domains{(1u << 24) - 1};
  absl::flat_hash_map<uint64_t, Named> names;
  // By slot: no protocol lookup.
  std::array<std::array<uint64_t, kProbeOutcomeSlots>, kMailPorts> outcomes{};
  uint64_t other_port = 0;
  ReadStats stats;
  std::vector<Corruption> corruptions;  // the first 1000

  // Sizes the partition lists: 2^partition_bits of them, compacted from compact_tuples tuples
  // once this worker holds budget_bytes of tuples. Sets `bits`; `collect` must be set before.
  void Init(unsigned partition_bits, size_t compact_tuples, uint64_t budget_bytes);
  // At the end of the reading phase: the partly filled lines go to their lists.
  void FlushLines();

  bool SummaryOnly() const override { return !collect; }
  bool DecodeSummaryChunk(ChunkDecoder* decoder, std::string_view chunk, std::string* error,
                          uint64_t* sweeps, uint64_t* probes, uint64_t* certs, bool* ok) override;
  void OnProbe(const ProbeView& v) override;
  void OnCertificate(const CertificateFacts& c) override;

 private:
  struct SlimHandler;

  template <typename T>
  void ReplaceList(TupleList<T>* list, TupleList<T> compacted, uint32_t p);
  void Compact(uint32_t p);
  void CompactSlim(uint32_t p);
  int CountProbe(const ProbeSummary& v);
  void FlushSlimLine(uint32_t p);
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_READ_WORKER_H_
