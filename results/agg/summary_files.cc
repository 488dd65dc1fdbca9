#include "results/agg/summary_files.h"

#include "base/strings.h"
#include "base/text_format.h"
#include "results/agg/report_text.h"

namespace mailsweep::results {

std::string SummaryCsv(const Summary& s) {
  // One line per country x protocol x class with hosts, then the policy's count on a line with
  // class "without_tls".
  std::string out = "country,protocol,class,hosts\n";
  for (const auto& [key, c] : s.counts) {
    std::string prefix = StrCat(CountryCode::FromKey(static_cast<uint16_t>(key >> 8)).view(), ",",
                                kProtocolNames[key & 0xff], ",");
    for (int k = 0; k < kHostClassCount; ++k) {
      if (c.classes[k] == 0) continue;
      out += StrCat(prefix, HostClassName(static_cast<HostClass>(k)), ",", c.classes[k], "\n");
    }
    out += StrCat(prefix, "without_tls,", c.without_tls, "\n");
  }
  return out;
}

std::string SummaryJson(const Summary& s) {
  std::string out = "{\n";
  out += StrCat("  \"policy\": ", JsonQuote(PolicyName(s.policy)), ",\n");
  out += StrCat("  \"policy_description\": ", JsonQuote(PolicyDescription(s.policy)), ",\n");
  out += "  \"files\": [";
  for (size_t i = 0; i < s.files.size(); ++i) {
    out += StrCat(i ? ", " : "", JsonQuote(s.files[i]));
  }
  out += "],\n";
  out += StrCat("  \"records\": {\"probe\": ", s.read.probe_records,
                ", \"sweep\": ", s.read.sweep_records, ", \"certificates\": ", s.read.certificates,
                ", \"other_ports\": ", s.other_port_records, "},\n");
  out += StrCat("  \"corruption\": {\"events\": ", s.read.corruptions,
                ", \"dropped_bytes\": ", s.read.dropped_bytes,
                ", \"torn_tail_bytes\": ", s.read.torn_tail_bytes, "},\n");
  auto counts_json = [](const CountryCounts& c) {
    std::string o = "{";
    for (int k = 0; k < kHostClassCount; ++k) {
      o += StrCat("\"", HostClassName(static_cast<HostClass>(k)), "\": ", c.classes[k], ", ");
    }
    return StrCat(o, "\"without_tls\": ", c.without_tls, "}");
  };
  out += "  \"totals\": {";
  for (int p = 0; p < kMailProtocols; ++p) {
    out += StrCat(p ? ", " : "", "\"", kProtocolNames[p], "\": ", counts_json(s.totals[p]));
  }
  out += "},\n  \"tls_versions\": {";
  for (int p = 0; p < kMailProtocols; ++p) {
    out += StrCat(p ? ", " : "", "\"", kProtocolNames[p], "\": {");
    for (int v = 0; v < 6; ++v) {
      out += StrCat(v ? ", " : "", JsonQuote(kVersionLabels[v]), ": ", s.tls_versions[p][v]);
    }
    out += "}";
  }
  out += "},\n  \"outcomes\": {";
  for (int p = 0; p < kMailProtocols; ++p) {
    out += StrCat(p ? ", " : "", "\"", kProtocolNames[p], "\": {");
    bool first = true;
    // Slot 0 holds values this reader does not know (a newer writer's): "unknown".
    for (size_t o = 0; o < kProbeOutcomeSlots; ++o) {
      if (!s.outcomes[p][o]) continue;
      out += StrCat(first ? "" : ", ", JsonQuote(OutcomeName(static_cast<ProbeOutcome>(o))), ": ",
                    s.outcomes[p][o]);
      first = false;
    }
    out += "}";
  }
  out += "},\n  \"countries\": {";
  uint16_t last = 0;
  bool first_country = true;
  for (const auto& [key, c] : s.counts) {
    auto cc = static_cast<uint16_t>(key >> 8);
    if (first_country || cc != last) {
      out += StrCat(first_country ? "\n    " : "},\n    ", "\"", CountryCode::FromKey(cc).view(),
                    "\": {");
      first_country = false;
      last = cc;
    } else {
      out += ", ";
    }
    out += StrCat("\"", kProtocolNames[key & 0xff], "\": ", counts_json(c));
  }
  out += first_country ? "}\n}\n" : "}\n  }\n}\n";
  return out;
}

}  // namespace mailsweep::results
