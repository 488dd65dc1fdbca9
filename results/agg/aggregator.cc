#include "results/agg/aggregator.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "base/strings.h"
#include "results/agg/address_table.h"
#include "results/agg/host_table.h"
#include "results/agg/zeroed_memory.h"
#include "results/format/log_format.h"
#include "results/format/record_codec.h"

namespace mailsweep::results {

namespace {

struct HostState {
  std::array<PortObs, 3> obs;  // the protocol's slots in kProtocolSlots order
};

// Keeps the later of two observations of one port.
void MergeObs(PortObs* into, const PortObs& o) {
  if (!into->present() || o.time_s >= into->time_s) *into = o;
}

// Without per-host details (the summary only), a port's latest probe is all the classification
// and the counts need: 8 bytes, so that every mail port of an address fits one cache line and
// the join is keyed by address alone (one lookup in the geo database per address). Bits 0-31:
// the time in units of 2^20 us (~1.05 s; a shift where seconds would take a division, and
// the order is all that counts), 32-35 the traits (PortTraitsOf, results/agg/classification.h),
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
void MergeObs(SlimObs* into, const SlimObs& o) {
  const uint64_t old = into->word;
  into->word = o.time() >= static_cast<uint32_t>(old) ? o.word : old;
}

class StringPool {
 public:
  explicit StringPool(uint32_t max_id) : max_id_(max_id) {}
  uint32_t Intern(std::string_view s) {
    if (s.empty()) return 0;
    // The records of a chunk point at the chunk's one copy of a repeated string: a small cache
    // by address skips the hashing. Contents are compared, so a reused buffer cannot fool it.
    Recent& r = recent_[(reinterpret_cast<uintptr_t>(s.data()) >> 2) % kRecent];
    if (r.data == s.data() && r.id != 0 && Get(r.id) == s) return r.id;
    uint32_t id;
    if (auto it = index_.find(ToAbsl(s)); it != index_.end()) {
      id = it->second;
    } else {
      if (strings_.size() >= max_id_) return 0;
      strings_.emplace_back(s);
      id = static_cast<uint32_t>(strings_.size());
      index_.emplace(strings_.back(), id);
    }
    r = {s.data(), id};
    return id;
  }
  std::string_view Get(uint32_t id) const {
    return id == 0 ? std::string_view() : std::string_view(strings_[id - 1]);
  }

 private:
  static constexpr size_t kRecent = 64;
  struct Recent {
    const char* data = nullptr;
    uint32_t id = 0;
  };
  const uint32_t max_id_;
  Recent recent_[kRecent];
  absl::flat_hash_map<std::string, uint32_t> index_;
  std::vector<std::string> strings_;
};

// Summary::tls_versions index of a version code (codes 1..6 -> 0..5).
int VersionBucket(uint8_t code) { return code == 0 ? 5 : code - 1; }

constexpr uint64_t kRecordsPerPartition = 16384;
constexpr unsigned kMaxPartitionBits = 12;

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

// 64 bytes of tuples on their way to a list (software write-combining, see AddLine).
struct alignas(64) TupleLine {
  unsigned char bytes[64];
};

// Copies a line to 64-byte aligned `to` without reading `to` into the cache first: a line of
// tuples is written once and read back only after the reading phase, from memory anyway.
inline void StreamLine(unsigned char* to, const TupleLine& line) {
#if defined(__SSE2__)
  const __m128i* from = reinterpret_cast<const __m128i*>(line.bytes);
  __m128i* dst = reinterpret_cast<__m128i*>(to);
  _mm_stream_si128(dst, _mm_load_si128(from));
  _mm_stream_si128(dst + 1, _mm_load_si128(from + 1));
  _mm_stream_si128(dst + 2, _mm_load_si128(from + 2));
  _mm_stream_si128(dst + 3, _mm_load_si128(from + 3));
#else
  std::memcpy(to, line.bytes, 64);
#endif
}

// Makes the streamed lines visible to other threads (before the lists change hands).
inline void FenceStreams() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

// Pages for one worker's slim tuple lists, cut from 4 MiB mappings: no allocator call per page
// and no free per page when the lists are joined (1.2 and 0.3% of the summary roll-up's time),
// and the kernel fills a mapping's 1,024 pages in one call (MAP_POPULATE) instead of taking a
// fault per page (reading 10 million records: 0.290 s instead of 0.297).
// Pages stay mapped until the arena goes, after the join: the summary join allocates nothing
// that grows meanwhile, so the peak is the same as with pages freed one by one. Allocate and
// Recycle on the owner thread only.
class PageArena {
 public:
  static constexpr size_t kPageBytes = 8192;
  PageArena() = default;
  PageArena(const PageArena&) = delete;
  PageArena& operator=(const PageArena&) = delete;
  ~PageArena() {
    for (void* chunk : chunks_) Unmap(chunk, kChunkBytes);
  }
  // A page, 64-byte aligned, of unspecified contents.
  unsigned char* Allocate() {
    if (!free_.empty()) {
      unsigned char* page = free_.back();
      free_.pop_back();
      return page;
    }
    if (next_ == end_) {
      void* chunk = MapZeroed(kChunkBytes, /*populate=*/true);
      chunks_.push_back(chunk);
      next_ = static_cast<unsigned char*>(chunk);
      end_ = next_ + kChunkBytes;
    }
    unsigned char* page = next_;
    next_ += kPageBytes;
    return page;
  }
  // `page` (from Allocate) may be handed out again.
  void Recycle(unsigned char* page) { free_.push_back(page); }

 private:
  static constexpr size_t kChunkBytes = size_t{4} << 20;
  std::vector<void*> chunks_;
  std::vector<unsigned char*> free_;
  unsigned char* next_ = nullptr;
  unsigned char* end_ = nullptr;
};

// The tuples of one partition from one worker: a chain of 8 KiB pages, appended in order, from
// the heap or from a PageArena (which then owns them: clearing the list forgets them).
template <typename T>
class TupleList {
 public:
  explicit TupleList(PageArena* arena = nullptr) : arena_(arena) {}
  ~TupleList() { Clear(); }
  TupleList(TupleList&& o) noexcept { Swap(o); }
  TupleList& operator=(TupleList&& o) noexcept {
    if (this != &o) {
      Clear();
      Swap(o);
    }
    return *this;
  }

  void Add(const T& t) {
    if (tail_n_ == kPerPage) NewPage();
    std::memcpy(tail_ + tail_n_ * sizeof(T), &t, sizeof(T));
    ++tail_n_;
  }
  // Appends the kPerLine tuples of `line`, streamed to memory (StreamLine).
  static constexpr size_t kPerLine = 64 / sizeof(T);
  void AddLine(const TupleLine& line) {
    static_assert(64 % sizeof(T) == 0);
    if (tail_n_ % kPerLine != 0) {  // after a compaction, until the next page
      for (size_t i = 0; i < kPerLine; ++i) {
        T t;
        std::memcpy(&t, line.bytes + i * sizeof(T), sizeof(T));
        Add(t);
      }
      return;
    }
    if (tail_n_ == kPerPage) NewPage();
    StreamLine(tail_ + tail_n_ * sizeof(T), line);
    tail_n_ += kPerLine;
  }
  size_t size() const {
    return pages_.empty() ? 0 : (pages_.size() - 1) * kPerPage + tail_n_;
  }
  // Calls ahead(t) for tuple i + kAhead just before f(t) for tuple i (prefetching).
  template <size_t kAhead, typename F, typename A>
  void ForEach(F&& f, A&& ahead) const {
    for (size_t i = 0; i < pages_.size(); ++i) {
      const size_t n = i + 1 == pages_.size() ? tail_n_ : kPerPage;
      const unsigned char* page = pages_[i];
      for (size_t k = 0; k < n; ++k) {
        T t;
        if (k + kAhead < n) {
          std::memcpy(&t, page + (k + kAhead) * sizeof(T), sizeof(T));
          ahead(t);
        }
        std::memcpy(&t, page + k * sizeof(T), sizeof(T));
        f(t);
      }
    }
  }
  // Empties the list; heap pages are freed, an arena's forgotten (any thread).
  void Clear() {
    if (arena_ == nullptr) {
      for (unsigned char* page : pages_) std::free(page);
    }
    Forget();
  }
  // Empties the list, its arena's pages going back to the arena (the arena's owner thread).
  void Recycle() {
    if (arena_ == nullptr) return Clear();
    for (unsigned char* page : pages_) arena_->Recycle(page);
    Forget();
  }

 private:
  static constexpr size_t kPageBytes = PageArena::kPageBytes;
  // A whole number of lines, so that lines never straddle pages.
  static constexpr size_t kPerPage = kPageBytes / sizeof(T) / kPerLine * kPerLine;

  void NewPage() {
    // Written before it is read.
    void* page = arena_ ? arena_->Allocate() : std::aligned_alloc(64, kPageBytes);
    if (page == nullptr) abort();  // out of memory, as operator new would
    pages_.push_back(static_cast<unsigned char*>(page));
    tail_ = pages_.back();
    tail_n_ = 0;
  }
  void Forget() {
    pages_.clear();
    pages_.shrink_to_fit();
    tail_ = nullptr;
    tail_n_ = kPerPage;
  }
  void Swap(TupleList& o) {
    std::swap(pages_, o.pages_);
    std::swap(tail_, o.tail_);
    std::swap(tail_n_, o.tail_n_);
    std::swap(arena_, o.arena_);
  }

  std::vector<unsigned char*> pages_;
  unsigned char* tail_ = nullptr;
  size_t tail_n_ = kPerPage;  // the tail is full: the first Add makes a page
  PageArena* arena_ = nullptr;
};

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
uint32_t PartitionOf(uint32_t address, unsigned bits) {
  return bits == 0 ? 0 : MixAddress(address) >> (32 - bits);
}

// Join tables are keyed by (address, protocol).
uint64_t JoinKey(const Tuple& t) {
  return uint64_t{t.address} << 2 | static_cast<uint64_t>(ProtocolIndexOfSlot(t.slot));
}
void JoinTuple(HostTable<HostState>* table, const Tuple& t) {
  const uint64_t key = JoinKey(t);
  MergeObs(&table->FindOrInsert(key, HostTable<HostState>::Hash(key))
                .obs[t.slot - kProtocolSlots[key & 3].first],
           t.obs);
}
// Joins a list, prefetching the table slots a few tuples ahead.
void JoinList(HostTable<HostState>* table, const TupleList<Tuple>& list) {
  list.ForEach<8>([table](const Tuple& t) { JoinTuple(table, t); },
                  [table](const Tuple& t) { table->Prefetch(HostTable<HostState>::Hash(JoinKey(t))); });
}
// The same without details: keyed by the address's bits below the partition's.
void JoinList(AddressTable<AddressState>* table, const TupleList<SlimTuple>& list) {
  list.ForEach<8>(
      [table](const SlimTuple& t) {
        MergeObs(&table->FindOrInsert(t.rest()).obs[t.slot()], t.obs());
      },
      [table](const SlimTuple& t) { table->Prefetch(t.rest()); });
}

// Sorts host rows by (address, protocol). Comparison sorting moves 56-byte rows around
// log2(n) times (0.6 s for 4.3 million rows); here keys of (address, protocol, index) are radix
// sorted (3 passes over 8-byte keys) and the rows then copied once, in order, with the next
// rows' loads started ahead. Peak memory: the rows twice, as while they were gathered from the
// workers, and 16 bytes per row.
void SortHostRows(std::vector<HostRow>* rows) {
  const size_t n = rows->size();
  constexpr unsigned kIndexBits = 30;
  if (n >= (size_t{1} << kIndexBits)) {
    std::sort(rows->begin(), rows->end(), [](const HostRow& a, const HostRow& b) {
      return a.address != b.address ? a.address < b.address : a.protocol < b.protocol;
    });
    return;
  }
  std::vector<uint64_t> keys(n), scratch(n);
  for (size_t i = 0; i < n; ++i) {
    const HostRow& r = (*rows)[i];
    keys[i] = uint64_t{r.address} << 32 | static_cast<uint64_t>(r.protocol & 3) << kIndexBits | i;
  }
  // Least significant digit first over bits 30-63 (protocol, address): each pass is stable.
  for (const auto& [shift, width] :
       {std::pair{30u, 12u}, std::pair{42u, 11u}, std::pair{53u, 11u}}) {
    std::vector<size_t> start((size_t{1} << width) + 1, 0);
    const uint64_t mask = (uint64_t{1} << width) - 1;
    for (uint64_t k : keys) ++start[((k >> shift) & mask) + 1];
    for (size_t d = 1; d < start.size(); ++d) start[d] += start[d - 1];
    for (uint64_t k : keys) scratch[start[(k >> shift) & mask]++] = k;
    keys.swap(scratch);
  }
  std::vector<uint64_t>().swap(scratch);
  std::vector<HostRow> sorted;
  sorted.reserve(n);
  constexpr size_t kAhead = 16;
  const uint64_t index_mask = (uint64_t{1} << kIndexBits) - 1;
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) __builtin_prefetch(&(*rows)[keys[i + kAhead] & index_mask]);
    sorted.push_back((*rows)[keys[i] & index_mask]);
  }
  rows->swap(sorted);
}

}  // namespace

// Phase 1 (reading): a worker decodes its share of the blocks and appends each mail-port probe,
// reduced to a tuple (24 bytes, or 8 without per-host details), to the list of its partition:
// sequential writes only, no lookups in a table larger than the caches. Phase 2 (joining): each
// partition's lists from every worker go through one small table that stays in L2, where the ports
// of a host meet.
struct Aggregator::Worker final : public RecordVisitor {
  uint8_t id = 0;
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
  std::array<std::array<uint64_t, 16>, kMailPorts> outcomes{};  // by slot: no protocol lookup
  uint64_t other_port = 0;
  ReadStats stats;
  std::vector<Corruption> corruptions;

  void Init(unsigned partition_bits, size_t compact_tuples, uint64_t budget_bytes) {
    bits = partition_bits;
    compact_when_held = budget_bytes / (collect ? sizeof(Tuple) : sizeof(SlimTuple));
    if (collect) {
      parts.resize(size_t{1} << bits);
    } else {
      arena = std::make_unique<PageArena>();
      slim_parts.reserve(size_t{1} << bits);
      for (size_t p = 0; p < (size_t{1} << bits); ++p) slim_parts.emplace_back(arena.get());
      slim_lines = std::make_unique<TupleLine[]>(size_t{1} << (bits + kLineShift));
      slim_line_n.assign(size_t{1} << bits, 0);
    }
    compact_min = std::max<size_t>(compact_tuples, 1);
    compact_at.assign(size_t{1} << bits, compact_min);
  }

  // A compaction's result takes the place of partition p's list.
  template <typename T>
  void ReplaceList(TupleList<T>* list, TupleList<T> compacted, uint32_t p) {
    held_tuples -= list->size() - compacted.size();
    list->Recycle();
    *list = std::move(compacted);
    compact_at[p] = std::max(2 * list->size(), compact_min);
  }
  // Joins partition p's list and replaces it by the latest tuple per (address, port).
  void Compact(uint32_t p) {
    scratch.Reset();
    JoinList(&scratch, parts[p]);
    TupleList<Tuple> out;
    scratch.ForEach([&](uint64_t key, const HostState& state) {
      const int proto = static_cast<int>(key & 3);
      for (int s = 0; s < 3; ++s) {
        if (!state.obs[s].present()) continue;
        Tuple t{};
        t.address = static_cast<uint32_t>(key >> 2);
        t.slot = static_cast<uint8_t>(kProtocolSlots[proto].first + s);
        t.obs = state.obs[s];
        out.Add(t);
      }
    });
    ReplaceList(&parts[p], std::move(out), p);
  }
  // The same without details.
  void CompactSlim(uint32_t p) {
    JoinList(&slim_scratch, slim_parts[p]);
    TupleList<SlimTuple> out(arena.get());
    slim_scratch.Drain([&](uint32_t rest, const AddressState& state) {
      for (uint32_t s = 0; s < kMailPorts; ++s) {
        const SlimObs& o = state.obs[s];
        if (!o.present()) continue;
        out.Add(SlimTuple::Of(rest, s, o.traits(), o.version_code(), o.time()));
      }
    });
    ReplaceList(&slim_parts[p], std::move(out), p);
  }

  // At the end of the reading phase: the partly filled lines go to their lists.
  void FlushLines() {
    for (size_t p = 0; p < slim_line_n.size(); ++p) {
      for (size_t i = 0; i < slim_line_n[p]; ++i) {
        SlimTuple t;
        std::memcpy(&t, slim_lines[p << kLineShift].bytes + i * sizeof(SlimTuple), sizeof(t));
        slim_parts[p].Add(t);
        if (++held_tuples > peak_tuples) peak_tuples = held_tuples;
      }
      slim_line_n[p] = 0;
    }
    FenceStreams();
  }

  bool SummaryOnly() const override { return !collect; }

  // Counts a probe's outcome; returns its port's slot, or -1 (not a mail port: not counted).
  int CountProbe(const ProbeSummary& v) {
    const int slot = MailPortSlot(v.port);
    if (slot < 0) {
      ++other_port;
      return -1;
    }
    const auto outcome = static_cast<uint8_t>(v.outcome);
    ++outcomes[slot][outcome < 16 ? outcome : 0];
    return slot;
  }

  // Without details (SummaryOnly), the worker decodes each chunk itself: its code per probe
  // record (SlimHandler::OnSummary) is inlined into the decoding loop; a full line going to its
  // list is a call.
  struct SlimHandler {
    explicit SlimHandler(Worker* worker)
        : w(worker),
          rest_bits(32 - worker->bits),
          rest_mask((uint32_t{1} << rest_bits) - 1),
          lines(worker->slim_lines.get()),
          line_n(worker->slim_line_n.data()) {}
    void OnSweep(const SweepRecord&) {}
    __attribute__((always_inline)) void OnSummary(const ProbeSummary& v) {
      const int slot = w->CountProbe(v);
      if (slot < 0) return;
      const uint32_t mixed = MixAddress(v.address);
      const uint32_t p = mixed >> rest_bits;
      const SlimTuple t = SlimTuple::Of(
          mixed & rest_mask, static_cast<uint32_t>(slot), PortTraitsOf({true, v.outcome, v.flags}),
          TlsVersionCode(v.tls_version), static_cast<uint32_t>(v.start_us >> 20));
      const unsigned n = line_n[p];  // the partition's lines are consecutive
      std::memcpy(lines[p << kLineShift].bytes + n * sizeof(SlimTuple), &t, sizeof(t));
      if (n + 1 < kPerLineBuffer) {
        line_n[p] = static_cast<uint8_t>(n + 1);
      } else {
        line_n[p] = 0;
        w->FlushSlimLine(p);
      }
    }

    Worker* const w;
    const unsigned rest_bits;  // <= SlimTuple::kRestBits
    const uint32_t rest_mask;
    TupleLine* const lines;
    uint8_t* const line_n;
  };
  bool DecodeSummaryChunk(ChunkDecoder* decoder, std::string_view chunk, std::string* error,
                          uint64_t* sweeps, uint64_t* probes, uint64_t* certs, bool* ok) override {
    SlimHandler handler(this);
    *ok = decoder->DecodeSummaries(chunk, handler, error, sweeps, probes, certs);
    return true;
  }
  __attribute__((noinline)) void FlushSlimLine(uint32_t p) {
    for (size_t i = 0; i < (size_t{1} << kLineShift); ++i) {
      slim_parts[p].AddLine(slim_lines[(p << kLineShift) + i]);
    }
    held_tuples += kPerLineBuffer;
    if (held_tuples > peak_tuples) peak_tuples = held_tuples;
    if (slim_parts[p].size() >= compact_at[p] && held_tuples >= compact_when_held) CompactSlim(p);
  }

  // With details.
  void OnProbe(const ProbeView& v) override {
    const int slot = CountProbe(v);
    if (slot < 0) return;
    const auto outcome = static_cast<uint8_t>(v.outcome);
    const uint32_t p = PartitionOf(v.address, bits);
    Tuple t;
    t.address = v.address;
    t.slot = static_cast<uint8_t>(slot);
    t.unused = 0;
    PortObs& o = t.obs;
    o = PortObs();
    o.time_s = static_cast<uint32_t>(v.start_us / 1000000);
    o.flags = static_cast<uint16_t>(v.flags);
    o.version_code = TlsVersionCode(v.tls_version);
    o.outcome = outcome;
    o.worker_plus_one = static_cast<uint8_t>(id + 1);
    o.banner = banners.Intern(v.banner);
    o.cipher = static_cast<uint16_t>(ciphers.Intern(v.tls_cipher));
    if (v.cert_sha256) o.cert = cert_ids.Intern({reinterpret_cast<const char*>(v.cert_sha256), 32});
    if (!v.domain.empty()) {
      auto [it, fresh] = names.try_emplace(uint64_t{v.address} << 16 | v.port, Named{});
      if (fresh || o.time_s >= it->second.time_s) {
        it->second = {o.time_s, domains.Intern(v.domain)};
      }
    }
    parts[p].Add(t);
    if (++held_tuples > peak_tuples) peak_tuples = held_tuples;
    if (parts[p].size() >= compact_at[p] && held_tuples >= compact_when_held) Compact(p);
  }
  void OnCertificate(const CertificateFacts& c) override {
    if (!collect) return;
    certs.try_emplace(std::string(reinterpret_cast<const char*>(c.sha256.data()), 32), c);
  }
};

uint64_t DefaultMemoryBudget(uint64_t physical_bytes, std::string_view cgroup_limit) {
  uint64_t usable = physical_bytes;
  uint64_t limit = 0;
  const auto [end, ec] =
      std::from_chars(cgroup_limit.data(), cgroup_limit.data() + cgroup_limit.size(), limit);
  if (ec == std::errc() && end != cgroup_limit.data() && limit > 0) {
    usable = std::min(usable, limit);  // "max" does not parse: no limit
  }
  return usable / 4;
}

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
  summary_.files.push_back(path);
  readers_.push_back(*std::move(r));
  return absl::OkStatus();
}

void Aggregator::Run() {
  const int n = options_.threads;
  auto clock = [](clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  const double read_start = clock(CLOCK_MONOTONIC),
               read_cpu_start = clock(CLOCK_PROCESS_CPUTIME_ID);
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
  // Partitions of ~16384 records (a probe record takes ~28 bytes), whose ~7000 keys make a join
  // table of 512 KiB; at most 4096 partitions, as more write positions than that thrash the TLB
  // while reading (measured: 4096 partitions of 2400 records ran 20% slower than 1024).
  uint64_t bytes = 0;
  for (const auto& r : readers_) bytes += r->size();
  bytes_total_.store(bytes);
  bytes_read_.store(0);
  records_read_.store(0);
  partitions_joined_.store(0);
  phase_.store(AggregateProgress::kReading);
  const uint64_t expected_records = bytes / 28 + 1;
  unsigned bits = 0;
  while (bits < kMaxPartitionBits && (expected_records >> bits) > kRecordsPerPartition) ++bits;
  if (options_.partition_bits != 0) bits = std::min(options_.partition_bits, kMaxPartitionBits);
  // A slim tuple holds the address bits below the partition's; empty partitions cost little.
  if (!options_.collect_hosts) bits = std::max(bits, 32 - SlimTuple::kRestBits);
  uint64_t budget = options_.memory_budget;
  if (budget == 0) {
    std::string limit;
    for (const char* path :
         {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
      if (std::ifstream in(path); in && std::getline(in, limit)) break;
    }
    budget = DefaultMemoryBudget(static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                                     static_cast<uint64_t>(sysconf(_SC_PAGESIZE)),
                                 limit);
  }
  workers_.clear();
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->id = static_cast<uint8_t>(i);
    w->collect = options_.collect_hosts;
    w->Init(bits, options_.compact_tuples, budget / static_cast<uint64_t>(n));
    workers_.push_back(std::move(w));
  }
  auto in_parallel = [&](auto&& f) {
    std::vector<std::thread> threads;
    for (int i = 1; i < n; ++i) threads.emplace_back(f, i);
    f(0);
    for (auto& t : threads) t.join();
  };

  // Phase 1: read block ranges into the workers' partition lists.
  std::atomic<size_t> next{0};
  in_parallel([&](int i) {
    Worker* w = workers_[i].get();
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
  const double join_start = clock(CLOCK_MONOTONIC),
               join_cpu_start = clock(CLOCK_PROCESS_CPUTIME_ID);
  summary_.read_seconds = join_start - read_start;
  summary_.read_cpu_seconds = join_cpu_start - read_cpu_start;
  phase_.store(AggregateProgress::kJoining);
  partitions_.store(uint32_t{1} << bits);
  peak_tuples_ = 0;
  for (const auto& w : workers_) {
    peak_tuples_ += w->peak_tuples;
    summary_.read.Add(w->stats);
    summary_.other_port_records += w->other_port;
    for (const Corruption& c : w->corruptions) {
      if (summary_.corruptions.size() < 1000) summary_.corruptions.push_back(c);
    }
    for (int s = 0; s < kMailPorts; ++s) {
      for (int o = 0; o < 16; ++o)
        summary_.outcomes[ProtocolIndexOfSlot(s)][o] += w->outcomes[s][o];
    }
    for (auto& [sha, cert] : w->certs) certs_.try_emplace(sha, std::move(cert));
    w->certs.clear();
  }

  // Phase 2: each worker takes partitions in turn, joins their lists from every worker in its
  // scratch table, classifies and counts; a partition's lists are freed once joined.
  struct PartResult {
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
  std::vector<PartResult> results(n);
  const GeoDb* geo = options_.geo;
  std::unique_ptr<GeoDb> unknown;
  if (!geo) {
    unknown = GeoDb::Unknown();
    geo = unknown.get();
  }
  // The verdict on one host x protocol depends only on its ports' traits (4 bits each, in
  // kProtocolSlots order; 0 when absent) and whether any was observed: a table per protocol
  // built from ClassifyTraits and the policy's WithoutTlsTraits answers it in one lookup,
  // without branches on the data (classes come in no predictable order; branches on them were
  // mispredicted several times per host). A verdict byte holds the class in bits 0-2
  // (kHostClassCount: not observed), "without TLS" in bit 3, and in bits 4-5 one plus the
  // first port where TLS worked (0: none), whose TLS version is counted.
  const Policy policy = options_.policy;
  std::array<std::vector<uint8_t>, kMailProtocols> verdicts;
  for (int proto = 0; proto < kMailProtocols; ++proto) {
    const ProtocolSlots ps = kProtocolSlots[proto];
    const int ports = ps.n_plain + ps.n_implicit;
    verdicts[proto].resize(size_t{2} << (4 * ports));
    for (unsigned index = 0; index < verdicts[proto].size(); ++index) {
      if ((index >> (4 * ports)) == 0) {
        verdicts[proto][index] = kHostClassCount;  // not observed
        continue;
      }
      unsigned plain = 0, implicit = 0;
      int tls = -1;
      for (int s = 0; s < ports; ++s) {
        const bool is_plain = s < ps.n_plain;
        const unsigned traits = index >> (4 * s) & 0xf;
        (is_plain ? plain : implicit) |= traits;
        if (tls < 0 && (traits & (is_plain ? kTraitStartTls : kTraitImplicitTls)) != 0) tls = s;
      }
      const HostClass cls =
          ClassifyTraits(static_cast<uint8_t>(plain), static_cast<uint8_t>(implicit));
      const bool without = WithoutTlsTraits(policy, cls, static_cast<uint8_t>(plain));
      verdicts[proto][index] =
          static_cast<uint8_t>(static_cast<unsigned>(cls) | (without ? 8u : 0u) | (tls + 1) << 4);
    }
  }
  // Counts one host x protocol whose verdict index (above) is `index` into `counts` (its
  // country's), and the TLS version of the first port where TLS worked (version_code(slot)).
  struct Verdict {
    HostClass cls;
    bool without_tls;
    int tls;  // the first port where TLS worked; -1: none
  };
  auto count = [&verdicts](PartResult& out, PartResult::PerProtocol& counts, int proto,
                           unsigned index, auto&& version_code) {
    const unsigned v = verdicts[proto][index];
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
  const uint32_t partitions = uint32_t{1} << bits;
  std::atomic<uint32_t> next_part{0};
  // Joins partition p's lists from every worker in `table`, frees them, and visits each joined
  // entry.
  auto join_partition = [&](HostTable<HostState>& table, uint32_t p, auto&& visit) {
    table.Reset();
    for (const auto& w : workers_) {
      JoinList(&table, w->parts[p]);
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
  in_parallel([&](int i) {
    Worker* w = workers_[i].get();
    PartResult& out = results[i];
    for (uint32_t p; (p = next_part.fetch_add(1)) < partitions;) {
      if (options_.collect_hosts) {
        join_partition(w->scratch, p,
                       [&](uint64_t key, const HostState& s) { classify(out, key, s); });
      } else {
        const uint32_t high = p << (32 - bits);
        join_slim(w->slim_scratch, p, [&](uint32_t rest, const AddressState& s) {
          classify_address(out, UnmixAddress(high | rest), s);
        });
      }
      partitions_joined_.fetch_add(1, std::memory_order_relaxed);
    }
    w->scratch.Clear();
    w->slim_scratch.Clear();
  });
  for (const auto& w : workers_) w->arena.reset();  // every list is joined and cleared
  for (PartResult& r : results) {
    for (const auto& [country, per_protocol] : r.by_letters) r.counts[country] = per_protocol;
    for (const auto& [country, per_protocol] : r.counts) {
      for (int p = 0; p < kMailProtocols; ++p) {
        const PartResult::Tally& c = per_protocol[p];
        bool any = c.without_tls != 0;
        for (int i = 0; i < kHostClassCount; ++i) any = any || c.classes[i] != 0;
        if (!any) continue;
        CountryCounts& into = summary_.counts[uint32_t{country} << 8 | static_cast<uint32_t>(p)];
        CountryCounts& total = summary_.totals[p];
        for (int i = 0; i < kHostClassCount; ++i) {
          into.classes[i] += c.classes[i];
          total.classes[i] += c.classes[i];
        }
        into.without_tls += c.without_tls;
        total.without_tls += c.without_tls;
      }
    }
    for (int p = 0; p < kMailProtocols; ++p) {
      for (int v = 0; v < 6; ++v) summary_.tls_versions[p][v] += r.versions[p][v];
    }
    if (hosts_.empty()) {
      hosts_.swap(r.rows);  // the first worker's rows move, not copied
    } else {
      hosts_.insert(hosts_.end(), r.rows.begin(), r.rows.end());
    }
    std::vector<HostRow>().swap(r.rows);
  }
  summary_.join_seconds = clock(CLOCK_MONOTONIC) - join_start;
  summary_.join_cpu_seconds = clock(CLOCK_PROCESS_CPUTIME_ID) - join_cpu_start;
  phase_.store(AggregateProgress::kSorting);
  SortHostRows(&hosts_);
  phase_.store(AggregateProgress::kDone);
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
    if (it == w->names.end() || (!best.empty() && it->second.time_s < best_time)) continue;
    best = w->domains.Get(it->second.domain);
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

uint8_t TlsVersionCode(uint16_t version) {
  // Arithmetic, no branches: the roll-up calls this per record, and versions come in no order.
  const unsigned known = static_cast<uint16_t>(version - 0x02ff);  // SSLv3..TLS 1.3: 1..5
  const unsigned in_range = known - 1 < 5 ? 1 : 0;
  const unsigned code = in_range * known + (1 - in_range) * 6;
  return static_cast<uint8_t>((version != 0 ? 1 : 0) * code);
}

uint16_t PortObs::tls_version() const {
  static constexpr uint16_t kVersions[] = {0, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0xffff};
  return kVersions[version_code < 7 ? version_code : 6];
}

}  // namespace mailsweep::results
