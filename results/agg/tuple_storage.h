// Tuple storage for the roll-up's reading phase: a TupleList is one partition's tuples from one
// reading worker, a chain of 8 KiB pages appended in order; a PageArena cuts those pages from
// 4 MiB mappings for the slim (summary-only) lists. Written by the reading worker
// (results/agg/read_worker.h), joined and cleared by the join (results/agg/partition_join.h).
// Thread rules: a list and its arena belong to one thread at a time; the lists change hands
// between the phases, after FenceStreams().
//
// Example:
//   PageArena arena;
//   TupleList<SlimTuple> list(&arena);
//   list.Add(t);
//   list.ForEach<8>([](const SlimTuple& t) { ... }, [](const SlimTuple& t) { /* prefetch */ });
#ifndef MAILSWEEP_RESULTS_AGG_TUPLE_STORAGE_H_
#define MAILSWEEP_RESULTS_AGG_TUPLE_STORAGE_H_

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "results/agg/zeroed_memory.h"

namespace mailsweep::results {

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

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_TUPLE_STORAGE_H_
