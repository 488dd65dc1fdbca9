// libFuzzer target for `mailsweep probe`'s input (engine::ProbeTargetReader): any lines, in any
// of the accepted shapes (ip,port; ip; ZMap and ZGrab2 CSV; CSV with a header). A target must
// carry a port, and its name is a DNS name that the reader owns no more.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/prober/probe_target_reader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailsweep;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  engine::ProbeTargetReader reader({110, 143});
  std::vector<engine::ProbeTarget> targets;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const size_t before = targets.size();
    if (!reader.ParseLine(line, &targets).ok()) {
      fuzz::Check(targets.size() == before, "a bad line appends nothing");
      break;
    }
  }
  for (engine::ProbeTarget& t : targets) {
    fuzz::Check(t.port != 0, "every target has a port");
    if (t.name != nullptr) {
      std::string_view name(t.name);
      fuzz::Check(!name.empty() && name.back() != '.', "a name is a DNS name without its dot");
    }
    engine::FreeTargetName(t.name);
  }
  return 0;
}
