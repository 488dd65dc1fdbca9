// The tuples the roll-up's reading phase hands to its join, and how they meet: a Tuple (24
// bytes, with per-host details) or SlimTuple (8 bytes, summary only) per mail-port probe; the
// join tables' states (HostState by (address, protocol), AddressState by address), where the
// latest observation of each port wins (MergeObs); and the address mixing that picks a tuple's
// partition. Used by the reading worker (results/agg/read_worker.h, which also compacts lists
// with these joins) and the join (results/agg/partition_join.h). Plain values and free
// functions: no thread rules beyond those of the tables and lists passed in.
#ifndef MAILSWEEP_RESULTS_AGG_JOIN_TUPLES_H_
#define MAILSWEEP_RESULTS_AGG_JOIN_TUPLES_H_

#include <array>
#include <cstdint>
#include <vector>

#include "results/agg/address_table.h"
#include "results/agg/classification.h"
#include "results/agg/host_table.h"
#include "results/agg/string_pool.h"
#include "results/agg/host_row.h"
#include "results/agg/tuple_storage.h"

namespace mailsweep::results {

struct HostState {
  std::array<PortObs, 3> obs;  // the protocol's slots in kProtocolSlots order
};

// The string pools of every reading worker, by worker id: what a PortObs's ids mean. Filled
// before the reading phase (the pools themselves belong to their workers).
struct ObsPools {
  std::vector<const StringPool*> banners, ciphers, cert_ids;
};

// Whether `o` takes the place of `into`, an observation of the same port in the same second:
// the greater content wins, compared by TLS version code, traits (as SlimObs orders them), then
// outcome, flags, banner, cipher and certificate SHA-256. Equal contents read the same in every
// output. Rare (the same port probed twice in one second), so out of line.
bool TieGoesTo(const PortObs& into, const PortObs& o, const ObsPools& pools);

// Keeps the later of two observations of one port; ties go by content (TieGoesTo), so the
// reading order (threads, files) does not matter.
inline void MergeObs(PortObs* into, const PortObs& o, const ObsPools& pools) {
  if (!into->present() || o.time_s > into->time_s ||
      (o.time_s == into->time_s && TieGoesTo(*into, o, pools))) {
    *into = o;
  }
}

// Without per-host details (the summary only), a port's latest probe is all the classification
// and the counts need: 8 bytes, so that every mail port of an address fits one cache line and
// the join is keyed by address alone (one lookup in the geo database per address). Bits 0-31:
// the time (ObsTime(), host_row.h: seconds, as with details), 32-35 the traits (PortTraitsOf, results/agg/classification.h),
// 36-38 the TLS version code, 39 set: all zero is an absent port.
struct SlimObs {
  uint64_t word;
  static constexpr uint64_t kPresent = uint64_t{1} << 39;
  bool present() const { return word != 0; }
  uint8_t traits() const { return static_cast<uint8_t>(word >> 32 & 0xf); }
  uint8_t version_code() const { return static_cast<uint8_t>(word >> 36 & 0x7); }
  uint32_t time() const { return static_cast<uint32_t>(word); }
};
static_assert(sizeof(SlimObs) == 8);
struct AddressState {
  std::array<SlimObs, kMailPorts> obs;  // by slot (kMailPortNumbers)
};
// Keeps the later of two observations of one port, without a branch: which of the two is
// later follows no pattern. An absent port (all zero) has time 0, so any observation is later.
// Ties go by content: the word rotated by 32 bits orders by time, then TLS version code, then
// traits, as TieGoesTo does.
inline void MergeObs(SlimObs* into, const SlimObs& o) {
  const uint64_t old = into->word;
  auto order = [](uint64_t word) { return word << 32 | word >> 32; };
  into->word = order(o.word) >= order(old) ? o.word : old;
}

// One probe observation on its way from the reading phase to its partition's join.
struct __attribute__((packed)) Tuple {
  uint32_t address;
  uint8_t slot;  // index into kMailPortNumbers
  PortObs obs;
  uint16_t unused;
};
static_assert(sizeof(Tuple) == 24);
// Without details, a probe travels in 8 bytes: bits 42-63 the rest of its mixed address (the
// partition, MixAddress's top bits, is the other part), 39-41 its slot (kMailPortNumbers), 32-38
// its traits (4 bits) and TLS version code (3 bits), 0-31 its time (SlimObs's units).
struct SlimTuple {
  uint64_t bits;

  static constexpr unsigned kRestBits = 22;
  static SlimTuple Of(uint32_t rest, uint32_t slot, uint8_t traits, uint8_t version_code,
                      uint32_t time) {
    return {uint64_t{rest} << 42 | uint64_t{slot} << 39 |
            uint64_t{static_cast<uint32_t>(traits | version_code << 4)} << 32 | time};
  }
  uint32_t rest() const { return static_cast<uint32_t>(bits >> 42); }
  uint32_t slot() const { return static_cast<uint32_t>(bits >> 39) & 7; }
  SlimObs obs() const { return {(bits & (SlimObs::kPresent - 1)) | SlimObs::kPresent}; }
};
static_assert(sizeof(SlimTuple) == 8);
static_assert((kTraitAnswers | kTraitStartTls | kTraitImplicitTls | kTraitPlaintextLogin) < 16,
              "traits fit 4 bits of a SlimTuple");

// Partitions hold 2^bits slices of the address space chosen by a hash (addresses of a scan are
// clustered; their hash is not), so a partition's join table stays in the L2 cache: the address
// times an odd constant, whose top bits (the partition) multiplicative hashing spreads well over
// runs and strides of addresses, with its top half xored into its bottom half, so that the bits
// below the partition's, which the join table hashes again, depend on the whole address (without
// that, the table's hash correlated with the partition's and joins took 10% longer). Both steps
// are bijections, so a slim tuple stores only the bits below the partition's and UnmixAddress
// restores the address. (murmur3's finalizer, used before, cost 9 more instructions a record.)
constexpr uint32_t kMix = 0x85ebca6bu;
constexpr uint32_t InverseOdd(uint32_t a) {
  uint32_t x = a;  // Newton's iteration: each step doubles the correct low bits (3 at first)
  for (int i = 0; i < 5; ++i) x *= 2 - a * x;
  return x;
}
static_assert(kMix * InverseOdd(kMix) == 1);
inline uint32_t MixAddress(uint32_t address) {
  const uint32_t h = address * kMix;
  return h ^ h >> 16;
}
inline uint32_t UnmixAddress(uint32_t mixed) { return (mixed ^ mixed >> 16) * InverseOdd(kMix); }
inline uint32_t PartitionOf(uint32_t address, unsigned bits) {
  return bits == 0 ? 0 : MixAddress(address) >> (32 - bits);
}

// Join tables are keyed by (address, protocol).
inline uint64_t JoinKey(const Tuple& t) {
  return uint64_t{t.address} << 2 | static_cast<uint64_t>(ProtocolIndexOfSlot(t.slot));
}
inline void JoinTuple(HostTable<HostState>* table, const Tuple& t, const ObsPools& pools) {
  const uint64_t key = JoinKey(t);
  MergeObs(&table->FindOrInsert(key, HostTable<HostState>::Hash(key))
                .obs[t.slot - kProtocolSlots[key & 3].first],
           t.obs, pools);
}
// Joins a list, prefetching the table slots a few tuples ahead.
inline void JoinList(HostTable<HostState>* table, const TupleList<Tuple>& list,
                     const ObsPools& pools) {
  list.ForEach<8>(
      [table, &pools](const Tuple& t) { JoinTuple(table, t, pools); },
      [table](const Tuple& t) { table->Prefetch(HostTable<HostState>::Hash(JoinKey(t))); });
}
// The same without details: keyed by the address's bits below the partition's.
inline void JoinList(AddressTable<AddressState>* table, const TupleList<SlimTuple>& list) {
  list.ForEach<8>(
      [table](const SlimTuple& t) {
        MergeObs(&table->FindOrInsert(t.rest()).obs[t.slot()], t.obs());
      },
      [table](const SlimTuple& t) { table->Prefetch(t.rest()); });
}

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_JOIN_TUPLES_H_
