// Zero-filled memory straight from the kernel (anonymous private mappings), for the roll-up's
// large scratch structures: the join tables (results/agg/address_table.h,
// results/agg/host_table.h), whose empty slots are all-zero bytes, and the tuple pages of
// results/agg/tuple_storage.h. Running out of memory aborts, as operator new would. Pure functions;
// any thread.
//
// Example:
//   auto* keys = static_cast<uint32_t*>(MapZeroed(n * sizeof(uint32_t)));
//   ...
//   Unmap(keys, n * sizeof(uint32_t));
#ifndef MAILSWEEP_RESULTS_AGG_ZEROED_MEMORY_H_
#define MAILSWEEP_RESULTS_AGG_ZEROED_MEMORY_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>

namespace mailsweep::results {

// `bytes` of zeroes. With `populate`, the kernel fills every page now, in one call, instead of
// taking a fault per page at first touch.
inline void* MapZeroed(size_t bytes, bool populate = false) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0), -1, 0);
  if (p == MAP_FAILED) abort();
  return p;
}

// Returns memory from MapZeroed (nullptr: nothing).
inline void Unmap(void* p, size_t bytes) {
  if (p != nullptr) munmap(p, bytes);
}

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_ZEROED_MEMORY_H_
