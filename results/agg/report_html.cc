#include "results/agg/report_html.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "base/strings.h"
#include "results/agg/report_text.h"

namespace mailsweep::results {
namespace {

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// 512, 34k, 1.2M: for labels where a full number does not fit.
std::string Short(uint64_t v) {
  if (v < 1000) return std::to_string(v);
  if (v < 1'000'000) return fmt::format("{:.{}f}k", v / 1e3, v < 10'000 ? 1 : 0);
  return fmt::format("{:.1f}M", v / 1e6);
}

// A chart legend: colour squares and labels laid out left to right from (x0, y), each item as
// wide as its label needs (~7 px per character at 12 px), wrapping before max_x. Returns the
// y of the line below the legend.
int Legend(std::string* h, int x0, int y, int max_x, const char* const* labels, int n,
           const char* const* colors) {
  int x = x0;
  for (int i = 0; i < n; ++i) {
    const int w = 16 + 7 * static_cast<int>(strlen(labels[i])) + 18;
    if (x > x0 && x + w > max_x) {
      x = x0;
      y += 18;
    }
    *h += StrCat("<rect x=\"", x, "\" y=\"", y, "\" width=\"12\" height=\"12\" fill=\"",
                 colors[i], "\"/><text x=\"", x + 16, "\" y=\"", y + 11, "\">", labels[i],
                 "</text>");
    x += w;
  }
  return y + 18;
}

}  // namespace

std::string ReportHtml(const Summary& s) {
  static const char* kColors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#9c755f"};
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>mailsweep report</title><style>body{font-family:system-ui,sans-serif;margin:2em;"
      "max-width:1000px;color:#222}h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em}"
      "table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right;border-bottom:"
      "1px solid #ddd}th:first-child,td:first-child{text-align:left}.big{font-size:2em;"
      "font-weight:bold}.cards{display:flex;gap:2em}.card{padding:1em;border:1px solid #ddd;"
      "border-radius:8px}svg text{font-size:12px}</style></head><body>\n";
  h += "<h1>Mail servers without TLS</h1>\n";
  h +=
      StrCat("<p>Policy <b>", PolicyName(s.policy),
             "</b>: ", HtmlEscape(PolicyDescription(s.policy)), ". ", Grouped(s.read.probe_records),
             " probe records from ", s.files.size(), " file(s).</p>\n<div class=\"cards\">");
  for (int p = 0; p < kMailProtocols; ++p) {
    uint64_t hosts = 0;
    for (int c = 0; c < kHostClassCount; ++c) {
      if (c != static_cast<int>(HostClass::kNoService)) hosts += s.totals[p].classes[c];
    }
    h += StrCat("<div class=\"card\">", kProtocolLabels[p], "<div class=\"big\">",
                Grouped(s.totals[p].without_tls), "</div>without TLS of ", Grouped(hosts),
                " hosts</div>");
  }
  h += "</div>\n";

  // Chart 1: top countries, stacked per protocol.
  std::vector<CountryTotal> countries = CountriesByWithoutTls(s);
  if (countries.size() > 15) countries.resize(15);
  while (!countries.empty() && countries.back().total == 0) countries.pop_back();
  uint64_t max_total = 1;
  for (const auto& c : countries) max_total = std::max(max_total, c.total);
  const int bar_w = 700, row_h = 22, left = 50;
  h += "<h2>Hosts without TLS per country</h2>\n";
  h += StrCat("<svg width=\"", left + bar_w + 120, "\" height=\"", row_h * countries.size() + 40,
              "\" role=\"img\">\n");
  for (size_t i = 0; i < countries.size(); ++i) {
    const CountryTotal& c = countries[i];
    double x = left;
    int y = static_cast<int>(i) * row_h;
    h += StrCat("<text x=\"0\" y=\"", y + 15, "\">", CountryCode::FromKey(c.country).view(),
                "</text>");
    for (int p = 0; p < kMailProtocols; ++p) {
      double w = static_cast<double>(c.without_tls[p]) * bar_w / static_cast<double>(max_total);
      h += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{} {}: "
          "{}</title></rect>",
          x, y + 2, w, row_h - 4, kColors[p], CountryCode::FromKey(c.country).view(),
          kProtocolLabels[p], c.without_tls[p]);
      x += w;
    }
    h += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>\n", x + 5, y + 15, Grouped(c.total));
  }
  int ly = static_cast<int>(countries.size()) * row_h + 20;
  Legend(&h, left, ly, left + bar_w, kProtocolLabels, kMailProtocols, kColors);
  h += "</svg>\n";

  // Chart 2: class breakdown per protocol (100% stacked bars).
  h += "<h2>What hosts offer, per protocol</h2>\n";
  h +=
      StrCat("<svg width=\"", left + bar_w + 20, "\" height=\"", 3 * 30 + 60, "\" role=\"img\">\n");
  for (int p = 0; p < kMailProtocols; ++p) {
    uint64_t sum = 0;
    for (int c = 0; c < kHostClassCount; ++c) sum += s.totals[p].classes[c];
    double x = left;
    h += StrCat("<text x=\"0\" y=\"", p * 30 + 18, "\">", kProtocolLabels[p], "</text>");
    for (int c = 0; c < kHostClassCount && sum; ++c) {
      double w = static_cast<double>(s.totals[p].classes[c]) * bar_w / static_cast<double>(sum);
      h += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"24\" fill=\"{}\"><title>{}: {} "
          "({:.1f}%)</title></rect>",
          x, p * 30, w, kColors[c], HostClassName(static_cast<HostClass>(c)),
          s.totals[p].classes[c], 100.0 * static_cast<double>(s.totals[p].classes[c]) / sum);
      x += w;
    }
  }
  const char* class_labels[kHostClassCount];
  for (int c = 0; c < kHostClassCount; ++c) {
    class_labels[c] = HostClassName(static_cast<HostClass>(c));
  }
  Legend(&h, left, 100, left + bar_w, class_labels, kHostClassCount, kColors);
  h += "</svg>\n";

  // Chart 3: TLS versions per protocol (grouped bars).
  uint64_t max_v = 1;
  for (int p = 0; p < kMailProtocols; ++p) {
    for (int v = 0; v < 6; ++v) max_v = std::max(max_v, s.tls_versions[p][v]);
  }
  h += "<h2>Negotiated TLS versions (hosts with working TLS)</h2>\n";
  const int chart_h = 160, group_w = 200;
  h +=
      StrCat("<svg width=\"", 3 * group_w + 60, "\" height=\"", chart_h + 90, "\" role=\"img\">\n");
  for (int p = 0; p < kMailProtocols; ++p) {
    int gx = 40 + p * group_w;
    for (int v = 0; v < 6; ++v) {
      double bh = static_cast<double>(s.tls_versions[p][v]) * chart_h / static_cast<double>(max_v);
      h += fmt::format(
          "<rect x=\"{}\" y=\"{:.1f}\" width=\"26\" height=\"{:.1f}\" fill=\"{}\"><title>{} {}: "
          "{}</title></rect>",
          gx + v * 30, chart_h - bh + 14, bh, kColors[v], kProtocolLabels[p], kVersionLabels[v],
          s.tls_versions[p][v]);
      if (s.tls_versions[p][v] > 0) {  // the count above its bar, small
        h += fmt::format(
            "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"middle\" style=\"font-size:9px\">{}</text>",
            gx + v * 30 + 13, chart_h - bh + 11, Short(s.tls_versions[p][v]));
      }
    }
    h += StrCat("<text x=\"", gx + 60, "\" y=\"", chart_h + 32, "\">", kProtocolLabels[p],
                "</text>");
  }
  Legend(&h, 40, chart_h + 46, 3 * group_w + 40, kVersionLabels, 6, kColors);
  h += "</svg>\n";

  // Outcome table.
  h += "<h2>Probe outcomes per protocol (records)</h2>\n<table><tr><th>outcome</th>";
  for (int p = 0; p < kMailProtocols; ++p) h += StrCat("<th>", kProtocolLabels[p], "</th>");
  h += "</tr>\n";
  for (size_t o = 0; o < kProbeOutcomeSlots; ++o) {  // slot 0: values unknown here
    if (!s.outcomes[0][o] && !s.outcomes[1][o] && !s.outcomes[2][o]) continue;
    h += StrCat("<tr><td>", OutcomeName(static_cast<ProbeOutcome>(o)), "</td>");
    for (int p = 0; p < kMailProtocols; ++p)
      h += StrCat("<td>", Grouped(s.outcomes[p][o]), "</td>");
    h += "</tr>\n";
  }
  h += "</table>\n";

  // Country table.
  h += "<h2>Without TLS per country</h2>\n<table><tr><th>country</th>";
  for (int p = 0; p < kMailProtocols; ++p) h += StrCat("<th>", kProtocolLabels[p], "</th>");
  h += "</tr>\n";
  for (const CountryTotal& c : CountriesByWithoutTls(s)) {
    h += StrCat("<tr><td>", CountryCode::FromKey(c.country).view(), "</td>");
    for (int p = 0; p < kMailProtocols; ++p)
      h += StrCat("<td>", Grouped(c.without_tls[p]), "</td>");
    h += "</tr>\n";
  }
  h += "</table>\n<p>Generated by mailsweep-agg " MAILSWEEP_VERSION ".</p></body></html>\n";
  return h;
}

}  // namespace mailsweep::results
