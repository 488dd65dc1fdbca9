#include "results/agg/partition_join.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "results/agg/address_table.h"
#include "results/agg/host_table.h"
#include "results/agg/join_tuples.h"

namespace mailsweep::results {

namespace {

// Partitions of ~16384 records (a probe record takes ~28 bytes), whose ~7000 keys make a join
// table of 512 KiB; at most 4096 partitions, as more write positions than that thrash the TLB
// while reading (measured: 4096 partitions of 2400 records ran 20% slower than 1024).
constexpr uint64_t kRecordsPerPartition = 16384;
constexpr unsigned kMaxPartitionBits = 12;

// Summary::tls_versions index of a version code (codes 1..6 -> 0..5).
int VersionBucket(uint8_t code) { return code == 0 ? 5 : code - 1; }

}  // namespace

unsigned PartitionBitsFor(uint64_t input_bytes, const AggregateOptions& options) {
  const uint64_t expected_records = input_bytes / 28 + 1;
  unsigned bits = 0;
  while (bits < kMaxPartitionBits && (expected_records >> bits) > kRecordsPerPartition) ++bits;
  if (options.partition_bits != 0) bits = std::min(options.partition_bits, kMaxPartitionBits);
  // A slim tuple holds the address bits below the partition's; empty partitions cost little.
  if (!options.collect_hosts) bits = std::max(bits, 32 - SlimTuple::kRestBits);
  return bits;
}

struct PartitionJoin::PartResult {
  // Counts of one country x protocol; the last class counts hosts whose protocol was not
  // observed at all, and is dropped (counting it saves a branch per host).
  struct Tally {
    std::array<uint64_t, kHostClassCount + 1> classes{};
    uint64_t without_tls = 0;
  };
  using PerProtocol = std::array<Tally, kMailProtocols>;
  // One lookup per host for all its protocols. Codes of two capital letters (all of ISO
  // 3166 and ZZ) index a table; others, a map by CountryCode::key().
  __attribute__((always_inline)) PerProtocol& CountsOf(CountryCode cc) {
    const unsigned a = static_cast<unsigned char>(cc.c[0]) - 'A';
    const unsigned b = static_cast<unsigned char>(cc.c[1]) - 'A';
    if (__builtin_expect(a >= 26 || b >= 26, 0)) return counts[cc.key()];
    const uint16_t slot = letter_slot[a * 26 + b];
    if (__builtin_expect(slot == 0, 0)) return NewCountry(cc, a * 26 + b);
    return by_letters[slot - 1].second;
  }
  __attribute__((noinline)) PerProtocol& NewCountry(CountryCode cc, unsigned letters) {
    by_letters.push_back({cc.key(), {}});
    letter_slot[letters] = static_cast<uint16_t>(by_letters.size());
    return by_letters.back().second;
  }
  std::array<uint16_t, 26 * 26> letter_slot{};  // 1 + index into by_letters; 0: none yet
  std::vector<std::pair<uint16_t, PerProtocol>> by_letters;
  absl::flat_hash_map<uint16_t, PerProtocol> counts;
  // Hosts with working TLS by VersionBucket; the last counts those without (dropped).
  std::array<std::array<uint64_t, 7>, kMailProtocols> versions{};
  std::vector<HostRow> rows;
};

PartitionJoin::PartitionJoin(const AggregateOptions& options, unsigned bits,
                             std::span<const std::unique_ptr<ReadWorker>> workers,
                             const ObsPools* pools, std::atomic<uint32_t>* joined)
    : options_(options),
      bits_(bits),
      workers_(workers),
      pools_(pools),
      joined_(joined),
      geo_(options.geo),
      verdicts_(options.policy),
      results_(workers.size()) {
  if (!geo_) {
    unknown_ = GeoDb::Unknown();
    geo_ = unknown_.get();
  }
}

PartitionJoin::~PartitionJoin() = default;

void PartitionJoin::Work(int i) {
  const GeoDb* geo = geo_;
  const VerdictTable& verdicts = verdicts_;
  // Counts one host x protocol whose verdict index (VerdictTable::At) is `index` into `counts` (its
  // country's), and the TLS version of the first port where TLS worked (version_code(slot)).
  struct Verdict {
    HostClass cls;
    bool without_tls;
    int tls;  // the first port where TLS worked; -1: none
  };
  auto count = [&verdicts](PartResult& out, PartResult::PerProtocol& counts, int proto,
                           unsigned index, auto&& version_code) {
    const unsigned v = verdicts.At(proto, index);
    PartResult::Tally& c = counts[proto];
    ++c.classes[v & 7];
    c.without_tls += v >> 3 & 1;
    const int tls = static_cast<int>(v >> 4) - 1;
    const uint8_t code = version_code(tls < 0 ? 0 : tls);
    ++out.versions[proto][tls < 0 ? 6 : VersionBucket(code)];
    return Verdict{static_cast<HostClass>(v & 7), (v & 8) != 0, tls};
  };
  // With details: one host x protocol, and its row (the answering plaintext port, else the one
  // where TLS worked).
  auto classify = [&](PartResult& out, uint64_t key, const HostState& state) {
    const int proto = static_cast<int>(key & 3);
    const uint32_t address = static_cast<uint32_t>(key >> 2);
    const ProtocolSlots ps = kProtocolSlots[proto];
    const int ports = ps.n_plain + ps.n_implicit;
    uint8_t traits[3];
    unsigned index = 1u << (4 * ports);  // observed: the key exists
    for (int s = 0; s < ports; ++s) {
      const PortObs& o = state.obs[s];
      traits[s] = PortTraitsOf({o.present(), static_cast<ProbeOutcome>(o.outcome), o.flags});
      index |= unsigned{traits[s]} << (4 * s);
    }
    const CountryCode cc = geo->Country(address);
    const Verdict v = count(out, out.CountsOf(cc), proto, index,
                            [&](int s) { return state.obs[s].version_code; });
    int rep = v.tls;
    for (int s = ps.n_plain - 1; s >= 0; --s) {
      if (traits[s] & kTraitAnswers) rep = s;
    }
    if (v.cls == HostClass::kNoService || rep < 0) return;
    HostRow row;
    row.address = address;
    row.protocol = proto;
    row.cls = v.cls;
    row.without_tls = v.without_tls;
    row.country = cc;
    if (options_.asn) row.asn = options_.asn->Asn(address);
    row.port = kMailPortNumbers[ps.first + rep];
    row.obs = state.obs[rep];
    if (v.tls >= 0) {
      row.tls_port = kMailPortNumbers[ps.first + v.tls];
      row.tls_obs = state.obs[v.tls];
    }
    out.rows.push_back(row);
  };
  // Without details: every protocol of one address, one geo lookup, one counts lookup.
  // (Unrolled per protocol: its ports are then constants.)
  auto classify_address = [&](PartResult& out, uint32_t address, const AddressState& state) {
    PartResult::PerProtocol& counts = out.CountsOf(geo->Country(address));
    auto protocol = [&]<int kProto>() __attribute__((always_inline)) {
      constexpr ProtocolSlots ps = kProtocolSlots[kProto];
      constexpr int ports = ps.n_plain + ps.n_implicit;
      const SlimObs* obs = &state.obs[ps.first];
      unsigned index = 0;
      uint64_t any = 0;
      for (int s = 0; s < ports; ++s) {
        index |= unsigned{obs[s].traits()} << (4 * s);
        any |= obs[s].word;
      }
      index |= (any != 0 ? 1u : 0u) << (4 * ports);
      count(out, counts, kProto, index, [&](int s) { return obs[s].version_code(); });
    };
    static_assert(kMailProtocols == 3);
    protocol.template operator()<0>();
    protocol.template operator()<1>();
    protocol.template operator()<2>();
  };
  const uint32_t partitions = uint32_t{1} << bits_;
  // Joins partition p's lists from every worker in `table`, frees them, and visits each joined
  // entry.
  auto join_partition = [&](HostTable<HostState>& table, uint32_t p, auto&& visit) {
    table.Reset();
    for (const auto& w : workers_) {
      JoinList(&table, w->parts[p], *pools_);
      w->parts[p].Clear();
    }
    if (table.size() != 0) table.ForEach(visit);
  };
  // The same without details; the table empties itself as it visits its entries.
  auto join_slim = [&](AddressTable<AddressState>& table, uint32_t p, auto&& visit) {
    for (const auto& w : workers_) {
      JoinList(&table, w->slim_parts[p]);
      w->slim_parts[p].Clear();
    }
    table.Drain(visit);
  };
  ReadWorker* w = workers_[i].get();
  PartResult& out = results_[i];
  for (uint32_t p; (p = next_part_.fetch_add(1)) < partitions;) {
    if (options_.collect_hosts) {
      join_partition(w->scratch, p,
                     [&](uint64_t key, const HostState& s) { classify(out, key, s); });
    } else {
      const uint32_t high = p << (32 - bits_);
      join_slim(w->slim_scratch, p, [&](uint32_t rest, const AddressState& s) {
        classify_address(out, UnmixAddress(high | rest), s);
      });
    }
    joined_->fetch_add(1, std::memory_order_relaxed);
  }
  w->scratch.Clear();
  w->slim_scratch.Clear();
}

void PartitionJoin::MergeInto(Summary* summary, std::vector<HostRow>* hosts) {
  for (const auto& w : workers_) w->arena.reset();  // every list is joined and cleared
  for (PartResult& r : results_) {
    for (const auto& [country, per_protocol] : r.by_letters) r.counts[country] = per_protocol;
    for (const auto& [country, per_protocol] : r.counts) {
      for (int p = 0; p < kMailProtocols; ++p) {
        const PartResult::Tally& c = per_protocol[p];
        bool any = c.without_tls != 0;
        for (int i = 0; i < kHostClassCount; ++i) any = any || c.classes[i] != 0;
        if (!any) continue;
        CountryCounts& into = summary->counts[uint32_t{country} << 8 | static_cast<uint32_t>(p)];
        CountryCounts& total = summary->totals[p];
        for (int i = 0; i < kHostClassCount; ++i) {
          into.classes[i] += c.classes[i];
          total.classes[i] += c.classes[i];
        }
        into.without_tls += c.without_tls;
        total.without_tls += c.without_tls;
      }
    }
    for (int p = 0; p < kMailProtocols; ++p) {
      for (int v = 0; v < 6; ++v) summary->tls_versions[p][v] += r.versions[p][v];
    }
    if (hosts->empty()) {
      hosts->swap(r.rows);  // the first worker's rows move, not copied
    } else {
      hosts->insert(hosts->end(), r.rows.begin(), r.rows.end());
    }
    std::vector<HostRow>().swap(r.rows);
  }
}

}  // namespace mailsweep::results
