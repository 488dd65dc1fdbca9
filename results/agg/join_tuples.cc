#include "results/agg/join_tuples.h"

#include <string_view>
#include <tuple>

namespace mailsweep::results {

bool TieGoesTo(const PortObs& into, const PortObs& o, const ObsPools& pools) {
  auto fields = [](const PortObs& x) {
    const auto outcome = static_cast<ProbeOutcome>(x.outcome);
    return std::tuple(static_cast<unsigned>(x.version_code),
                      PortTraitsOf({x.present(), outcome, x.flags}),
                      static_cast<unsigned>(x.outcome), x.flags);
  };
  if (fields(into) != fields(o)) return fields(o) > fields(into);
  auto text = [](const std::vector<const StringPool*>& pool, const PortObs& x, uint32_t id) {
    return pool[x.worker()]->Get(id);
  };
  const std::string_view strings[3][2] = {
      {text(pools.banners, into, into.banner), text(pools.banners, o, o.banner)},
      {text(pools.ciphers, into, into.cipher), text(pools.ciphers, o, o.cipher)},
      {text(pools.cert_ids, into, into.cert), text(pools.cert_ids, o, o.cert)}};
  for (const auto& [a, b] : strings) {
    if (a != b) return b > a;
  }
  return true;
}

}  // namespace mailsweep::results
