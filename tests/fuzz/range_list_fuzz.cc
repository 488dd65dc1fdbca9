// libFuzzer target for the address lists of -b/-w files and command lines
// (targets::ParseRangeList): any text. Parsed ranges must be well formed, and the set built from
// them must hold each of them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "targets/interval_set.h"
#include "targets/range_list.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailsweep;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = targets::ParseRangeList(text, "fuzz");
  if (!list.ok()) {
    fuzz::Check(!list.status().message().empty(), "an error says what is wrong");
    return 0;
  }
  uint64_t sum = 0;
  for (const targets::Ipv4Range& r : list->ranges) {
    fuzz::Check(r.first <= r.last, "a range runs forward");
    sum += r.size();
  }
  targets::IntervalSet set(list->ranges);
  fuzz::Check(set.Count() <= sum, "merging never adds addresses");
  for (const targets::Ipv4Range& r : list->ranges) {
    fuzz::Check(set.Contains(r.first) && set.Contains(r.last), "the set holds every range");
  }
  if (!set.empty()) {
    fuzz::Check(set.Contains(set.AddressAt(set.Count() - 1)), "AddressAt stays in the set");
  }
  return 0;
}
