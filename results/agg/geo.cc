#include "results/agg/geo.h"

#include <maxminddb.h>

#include <algorithm>
#include <charconv>

#include "absl/container/flat_hash_map.h"
#include "base/read_file.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "base/text_format.h"

namespace mailsweep::results {
namespace {

// ip-location-db's IPv4 country CSV is ~10 MB, its ASN CSV ~20 MB.
constexpr uint64_t kMaxCsvBytes = uint64_t{1} << 30;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '"')) s.remove_suffix(1);
  return s;
}

// The CSV range parser shared by countries and ASNs: calls add(first, last, third_field).
template <typename Add>
absl::Status ParseRanges(std::string_view text, std::string_view name, Add add) {
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t c1 = line.find(',');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string_view::npos) {
      return absl::InvalidArgumentError(
          StrCat(name, ":", line_no, ": expected first_ip,last_ip,value"));
    }
    std::string_view a = Trim(line.substr(0, c1)), b = Trim(line.substr(c1 + 1, c2 - c1 - 1));
    std::string_view value = Trim(line.substr(c2 + 1));
    if (size_t c3 = value.find(','); c3 != std::string_view::npos)
      value = Trim(value.substr(0, c3));
    if (a.find(':') != std::string_view::npos) continue;  // IPv6 range
    uint32_t first, last;
    // No leading zeros, as inet_pton: some tools read "010" as octal, so the range is ambiguous.
    if (!ParseIpv4(a, &first, LeadingZeros::kReject) ||
        !ParseIpv4(b, &last, LeadingZeros::kReject)) {
      if (line_no == 1) continue;  // a header line
      return absl::InvalidArgumentError(StrCat(name, ":", line_no, ": bad IPv4 range"));
    }
    if (last < first) {
      return absl::InvalidArgumentError(StrCat(name, ":", line_no, ": last_ip before first_ip"));
    }
    add(first, last, value);
  }
  return absl::OkStatus();
}

template <typename Range>
absl::Status SortAndCheck(std::vector<Range>* ranges, std::string_view name) {
  if (ranges->empty()) {
    return absl::InvalidArgumentError(
        StrCat(name, ": no IPv4 ranges in it; a database is a .mmdb file or CSV lines "
                     "first_ip,last_ip,value"));
  }
  std::sort(ranges->begin(), ranges->end(),
            [](const Range& x, const Range& y) { return x.first < y.first; });
  for (size_t i = 1; i < ranges->size(); ++i) {
    if ((*ranges)[i].first <= (*ranges)[i - 1].last) {
      return absl::InvalidArgumentError(
          StrCat(name, ": overlapping ranges at ", FormatIpv4((*ranges)[i].first)));
    }
  }
  return absl::OkStatus();
}

// Sorted, non-overlapping ranges and the lookup of the one holding an address: a binary search
// without branches on the data (the step is a conditional move: the roll-up looks addresses up
// in no particular order, so each step's branch was mispredicted half the time), within the
// ranges that meet the address's /16, which an index by the top 16 bits gives. Without the index
// a lookup among the 334,000 ranges of a country database took ~90 ns, most of it cache misses
// of the first steps; small tables (a lab's CSV) go without it.
template <typename Range>
class RangeTable {
 public:
  explicit RangeTable(std::vector<Range> ranges) : ranges_(std::move(ranges)) {
    if (ranges_.size() < kIndexFrom) return;
    // index_[h]: the first range that ends in /16 number h or later.
    index_.resize((size_t{1} << 16) + 1);
    size_t r = 0;
    for (size_t h = 0; h <= (size_t{1} << 16); ++h) {
      const uint64_t start = h << 16;
      while (r < ranges_.size() && ranges_[r].last < start) ++r;
      index_[h] = static_cast<uint32_t>(r);
    }
  }
  size_t size() const { return ranges_.size(); }

  // The range holding `address`, or nullptr.
  const Range* Find(uint32_t address) const {
    size_t begin = 0, n = ranges_.size();
    if (!index_.empty()) {
      // The candidates: ranges ending in this /16 or later, up to the first that ends after it
      // (it may start inside it).
      begin = index_[address >> 16];
      n = std::min<size_t>(index_[(address >> 16) + 1] + 1, ranges_.size()) - begin;
    }
    if (n == 0) return nullptr;
    const Range* base = ranges_.data() + begin;  // the last one starting at or before address
    for (; n > 1;) {
      const size_t half = n / 2;
      base = base[half].first <= address ? base + half : base;
      n -= half;
    }
    return base->first <= address && address <= base->last ? base : nullptr;
  }

 private:
  static constexpr size_t kIndexFrom = 4096;
  std::vector<Range> ranges_;
  std::vector<uint32_t> index_;  // empty, or 2^16 + 1 entries
};

// Countries by IPv4 range, from a CSV file or a MaxMind DB (MmdbFile::Flatten).
class RangeGeo final : public GeoDb {
 public:
  struct Range {
    uint32_t first, last;
    CountryCode cc;
    static Range Of(uint32_t first, uint32_t last, CountryCode cc) { return {first, last, cc}; }
    CountryCode value() const { return cc; }
  };
  // `description`: the file and its kind, for Describe().
  RangeGeo(std::string description, std::vector<Range> ranges)
      : description_(std::move(description)), ranges_(std::move(ranges)) {}

  CountryCode Country(uint32_t address) const override {
    const Range* r = ranges_.Find(address);
    return r ? r->cc : CountryCode{};
  }
  std::string Describe() const override {
    return StrCat(description_, ", ", ranges_.size(), " IPv4 ranges)");
  }

 private:
  std::string description_;
  RangeTable<Range> ranges_;
};

// An open MaxMind DB file (libmaxminddb, memory-mapped), for reading once at open.
class MmdbFile {
 public:
  explicit MmdbFile(std::string name) : name_(std::move(name)) {}
  ~MmdbFile() {
    if (open_) MMDB_close(&db_);
  }
  MmdbFile(const MmdbFile&) = delete;
  MmdbFile& operator=(const MmdbFile&) = delete;

  absl::Status Open() {
    int rc = MMDB_open(name_.c_str(), MMDB_MODE_MMAP, &db_);
    if (rc != MMDB_SUCCESS) {
      return absl::InvalidArgumentError(StrCat(name_, ": ", MMDB_strerror(rc)));
    }
    open_ = true;
    return absl::OkStatus();
  }

  // Every IPv4 network of the file with its value(entry), in address order, adjacent ones with
  // equal values merged: a walk of the search tree from its IPv4 root (in an IPv6 database the
  // node at ::/96, where libmaxminddb looks IPv4 addresses up, as MaxMind's and ip-location-db's
  // files keep them). A lookup is then a binary search in memory instead of a walk through the
  // file and a decoding of its data per address (~240 ns each with ip-location-db's country
  // file, as much as the rest of a roll-up's work per host). value() runs once per data record.
  template <typename Range, typename Value>
  absl::Status Flatten(Value value, std::vector<Range>* out) const {
    struct Pending {
      uint64_t record;  // a node number, or the record of the whole space
      uint8_t type;     // MMDB_RECORD_TYPE_*
      MMDB_entry_s entry;
      int depth;  // bits of the IPv4 prefix fixed so far
      uint32_t prefix;
    };
    Pending root{0, MMDB_RECORD_TYPE_SEARCH_NODE, {}, 0, 0};
    if (db_.metadata.ip_version == 6) {
      for (int bit = 0; bit < 96 && root.type == MMDB_RECORD_TYPE_SEARCH_NODE; ++bit) {
        MMDB_search_node_s node;
        if (MMDB_read_node(&db_, static_cast<uint32_t>(root.record), &node) != MMDB_SUCCESS) {
          return Corrupt("a search node past its end");
        }
        root = {node.left_record, node.left_record_type, node.left_record_entry, 0, 0};
      }
    }
    absl::flat_hash_map<uint32_t, decltype(value(MMDB_entry_s{}))> values;  // by data offset
    std::vector<Pending> stack{root};
    while (!stack.empty()) {
      const Pending p = stack.back();
      stack.pop_back();
      switch (p.type) {
        case MMDB_RECORD_TYPE_EMPTY:
          break;  // not in the file
        case MMDB_RECORD_TYPE_DATA: {
          auto [it, fresh] = values.try_emplace(p.entry.offset);
          if (fresh) it->second = value(p.entry);
          const uint32_t last =
              p.prefix | (p.depth == 0 ? 0xffffffffu : (uint32_t{1} << (32 - p.depth)) - 1);
          if (!out->empty() && out->back().last + 1 == p.prefix &&
              out->back().value() == it->second) {
            out->back().last = last;
          } else {
            out->push_back(Range::Of(p.prefix, last, it->second));
          }
          break;
        }
        case MMDB_RECORD_TYPE_SEARCH_NODE: {
          if (p.depth >= 32) return Corrupt("a search node below a /32");
          MMDB_search_node_s node;
          if (MMDB_read_node(&db_, static_cast<uint32_t>(p.record), &node) != MMDB_SUCCESS) {
            return Corrupt("a search node past its end");
          }
          const uint32_t right = p.prefix | uint32_t{1} << (31 - p.depth);
          stack.push_back({node.right_record, node.right_record_type, node.right_record_entry,
                           p.depth + 1, right});  // after the left one: address order
          stack.push_back({node.left_record, node.left_record_type, node.left_record_entry,
                           p.depth + 1, p.prefix});
          break;
        }
        default:
          return Corrupt("an invalid record");
      }
    }
    return absl::OkStatus();
  }
  const std::string& name() const { return name_; }
  const char* database_type() const { return db_.metadata.database_type; }

 private:
  absl::Status Corrupt(std::string_view what) const {
    return absl::InvalidArgumentError(StrCat(name_, ": corrupt MaxMind DB: ", what));
  }

  std::string name_;
  MMDB_s db_{};
  bool open_ = false;
};

// A country from a data record: ip-location-db's {"country_code": "US"}, GeoLite2's and
// DB-IP's {"country": {"iso_code": "US"}}; ZZ when it has neither.
CountryCode CountryOf(MMDB_entry_s entry) {
  MMDB_entry_data_s data;
  if (MMDB_get_value(&entry, &data, "country_code", nullptr) == MMDB_SUCCESS && data.has_data &&
      data.type == MMDB_DATA_TYPE_UTF8_STRING) {
    return CountryCode::From({data.utf8_string, data.data_size});
  }
  if (MMDB_get_value(&entry, &data, "country", "iso_code", nullptr) == MMDB_SUCCESS &&
      data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
    return CountryCode::From({data.utf8_string, data.data_size});
  }
  return {};
}

// An autonomous system number from a data record (GeoLite2-ASN's and ip-location-db's
// {"autonomous_system_number": N}); 0 when it has none.
uint32_t AsnOf(MMDB_entry_s entry) {
  MMDB_entry_data_s data;
  if (MMDB_get_value(&entry, &data, "autonomous_system_number", nullptr) != MMDB_SUCCESS ||
      !data.has_data) {
    return 0;
  }
  switch (data.type) {
    case MMDB_DATA_TYPE_UINT16:
      return data.uint16;
    case MMDB_DATA_TYPE_UINT32:
      return data.uint32;
    default:
      return 0;
  }
}

class UnknownGeo final : public GeoDb {
 public:
  CountryCode Country(uint32_t) const override { return {}; }
  std::string Describe() const override { return "none (every address is ZZ)"; }
};

// Autonomous system numbers by IPv4 range, from a CSV file or a MaxMind DB.
class RangeAsn final : public AsnDb {
 public:
  struct Range {
    uint32_t first, last, asn;
    static Range Of(uint32_t first, uint32_t last, uint32_t asn) { return {first, last, asn}; }
    uint32_t value() const { return asn; }
  };
  explicit RangeAsn(std::vector<Range> ranges) : ranges_(std::move(ranges)) {}
  uint32_t Asn(uint32_t address) const override {
    const Range* r = ranges_.Find(address);
    return r ? r->asn : 0;
  }

 private:
  RangeTable<Range> ranges_;
};

}  // namespace

CountryCode CountryCode::From(std::string_view s) {
  if (s.size() != 2) return {};
  CountryCode cc;
  for (int i = 0; i < 2; ++i) {
    char ch = s[i];
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch < 'A' || ch > 'Z') return {};
    cc.c[i] = ch;
  }
  return cc;
}

std::unique_ptr<GeoDb> GeoDb::Unknown() { return std::make_unique<UnknownGeo>(); }

absl::StatusOr<std::unique_ptr<GeoDb>> GeoDb::Open(const std::string& path) {
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".mmdb") == 0) return OpenMmdb(path);
  return OpenCsv(path);
}

absl::StatusOr<std::unique_ptr<GeoDb>> GeoDb::OpenMmdb(const std::string& path) {
  MmdbFile file(path);
  MAILSWEEP_RETURN_IF_ERROR(file.Open());
  std::vector<RangeGeo::Range> ranges;
  MAILSWEEP_RETURN_IF_ERROR(file.Flatten(CountryOf, &ranges));
  MAILSWEEP_RETURN_IF_ERROR(SortAndCheck(&ranges, path));
  return std::unique_ptr<GeoDb>(std::make_unique<RangeGeo>(
      StrCat(path, " (MaxMind DB ", file.database_type()), std::move(ranges)));
}

absl::StatusOr<std::unique_ptr<GeoDb>> GeoDb::OpenCsv(const std::string& path) {
  auto text = ReadWholeFile(path, kMaxCsvBytes, /*text=*/true);
  if (!text.ok()) return text.status();
  return FromCsvText(*text, path);
}

absl::StatusOr<std::unique_ptr<GeoDb>> GeoDb::FromCsvText(std::string_view text,
                                                          std::string_view name) {
  std::vector<RangeGeo::Range> ranges;
  absl::Status s = ParseRanges(text, name, [&](uint32_t first, uint32_t last, std::string_view v) {
    ranges.push_back({first, last, CountryCode::From(v)});
  });
  if (s.ok()) s = SortAndCheck(&ranges, name);
  if (!s.ok()) return s;
  return std::unique_ptr<GeoDb>(
      std::make_unique<RangeGeo>(StrCat(name, " (CSV"), std::move(ranges)));
}

absl::StatusOr<std::unique_ptr<AsnDb>> AsnDb::FromCsvText(std::string_view text,
                                                          std::string_view name) {
  std::vector<RangeAsn::Range> ranges;
  absl::Status s = ParseRanges(text, name, [&](uint32_t first, uint32_t last, std::string_view v) {
    if (v.size() > 2 && (v[0] == 'A' || v[0] == 'a') && (v[1] == 'S' || v[1] == 's')) {
      v.remove_prefix(2);
    }
    uint32_t asn = 0;
    std::from_chars(v.data(), v.data() + v.size(), asn);
    ranges.push_back({first, last, asn});
  });
  if (s.ok()) s = SortAndCheck(&ranges, name);
  if (!s.ok()) return s;
  return std::unique_ptr<AsnDb>(std::make_unique<RangeAsn>(std::move(ranges)));
}

absl::StatusOr<std::unique_ptr<AsnDb>> AsnDb::Open(const std::string& path) {
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".mmdb") == 0) {
    MmdbFile file(path);
    MAILSWEEP_RETURN_IF_ERROR(file.Open());
    std::vector<RangeAsn::Range> ranges;
    MAILSWEEP_RETURN_IF_ERROR(file.Flatten(AsnOf, &ranges));
    MAILSWEEP_RETURN_IF_ERROR(SortAndCheck(&ranges, path));
    return std::unique_ptr<AsnDb>(std::make_unique<RangeAsn>(std::move(ranges)));
  }
  auto text = ReadWholeFile(path, kMaxCsvBytes, /*text=*/true);
  if (!text.ok()) return text.status();
  return FromCsvText(*text, path);
}

}  // namespace mailsweep::results
