#include "results/agg/verdict_table.h"

namespace mailsweep::results {

VerdictTable::VerdictTable(Policy policy) {
  for (int proto = 0; proto < kMailProtocols; ++proto) {
    const ProtocolSlots ps = kProtocolSlots[proto];
    const int ports = ps.n_plain + ps.n_implicit;
    std::vector<uint8_t>& verdicts = verdicts_[proto];
    verdicts.resize(size_t{2} << (4 * ports));
    for (unsigned index = 0; index < verdicts.size(); ++index) {
      if ((index >> (4 * ports)) == 0) {
        verdicts[index] = kHostClassCount;  // not observed
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
      verdicts[index] =
          static_cast<uint8_t>(static_cast<unsigned>(cls) | (without ? 8u : 0u) | (tls + 1) << 4);
    }
  }
}

}  // namespace mailsweep::results
