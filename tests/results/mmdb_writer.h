// A minimal MaxMind DB writer for tests (MaxMind DB format 2.0: an IPv4 binary search tree with
// 24-bit records, a data section and the metadata map), so the MMDB geo path is tested against
// libmaxminddb with a real file and without downloads. Supports non-overlapping IPv4 prefixes
// mapped to a country code, in either ip-location-db's layout {"country_code": "US"} or
// GeoLite2's {"country": {"iso_code": "US"}}, in an IPv4 tree or, as GeoLite2 has it, an IPv6
// tree with IPv4 at ::/96.
#ifndef MAILSWEEP_TESTS_RESULTS_MMDB_WRITER_H_
#define MAILSWEEP_TESTS_RESULTS_MMDB_WRITER_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mailsweep::results::testing {

class MmdbWriter {
 public:
  explicit MmdbWriter(bool geolite_layout, bool ipv6_tree = false)
      : geolite_(geolite_layout), ipv6_(ipv6_tree) {
    nodes_.push_back({kEmpty, kEmpty});
    if (ipv6_) {  // 96 zero bits lead to the IPv4 subtree
      for (int depth = 0; depth < 96; ++depth) {
        nodes_.push_back({kEmpty, kEmpty});
        nodes_[nodes_.size() - 2][0] = static_cast<uint32_t>(nodes_.size() - 1);
      }
    }
  }

  // Maps address/prefix_len (1..32) to `country`.
  void Add(uint32_t address, int prefix_len, const std::string& country) {
    Insert(address, prefix_len, DataFor(country));
  }

  void Insert(uint32_t address, int prefix_len, uint32_t data) {
    size_t node = ipv6_ ? 96 : 0;
    for (int depth = 0; depth < prefix_len; ++depth) {
      int bit = (address >> (31 - depth)) & 1;
      if (depth == prefix_len - 1) {
        nodes_[node][bit] = kDataBase + data;
        return;
      }
      uint32_t next = nodes_[node][bit];
      if (next == kEmpty) {
        nodes_.push_back({kEmpty, kEmpty});
        next = static_cast<uint32_t>(nodes_.size() - 1);
        nodes_[node][bit] = next;
      }
      node = next;
    }
  }

  // Maps address/prefix_len to {"autonomous_system_number": asn} (GeoLite2-ASN's layout).
  void AddAsn(uint32_t address, int prefix_len, uint32_t asn) {
    uint32_t offset = static_cast<uint32_t>(data_.size());
    Map(&data_, 1);
    Str(&data_, "autonomous_system_number");
    Uint(&data_, 6, asn);
    Insert(address, prefix_len, offset);
  }

  std::string Build() const {
    const uint32_t node_count = static_cast<uint32_t>(nodes_.size());
    std::string out;
    for (const auto& n : nodes_) {
      for (uint32_t r : n) {
        uint32_t v = r == kEmpty      ? node_count
                     : r >= kDataBase ? node_count + 16 + (r - kDataBase)
                                      : r;
        out.push_back(static_cast<char>(v >> 16));
        out.push_back(static_cast<char>(v >> 8));
        out.push_back(static_cast<char>(v));
      }
    }
    out.append(16, '\0');
    out += data_;
    out += std::string("\xab\xcd\xefMaxMind.com", 14);
    std::string meta;
    Map(&meta, 9);
    Str(&meta, "binary_format_major_version");
    Uint(&meta, 5, 2);
    Str(&meta, "binary_format_minor_version");
    Uint(&meta, 5, 0);
    Str(&meta, "build_epoch");
    Uint64(&meta, 1764403200);
    Str(&meta, "database_type");
    Str(&meta, "mailsweep-test-country");
    Str(&meta, "description");
    Map(&meta, 1);
    Str(&meta, "en");
    Str(&meta, "mailsweep test database");
    Str(&meta, "ip_version");
    Uint(&meta, 5, ipv6_ ? 6 : 4);
    Str(&meta, "languages");
    meta.push_back(static_cast<char>(1));  // array (extended type 11 = 7 + 4), size 1
    meta.push_back(static_cast<char>(4));
    Str(&meta, "en");
    Str(&meta, "node_count");
    Uint(&meta, 6, node_count);
    Str(&meta, "record_size");
    Uint(&meta, 5, 24);
    out += meta;
    return out;
  }

 private:
  static constexpr uint32_t kEmpty = 0xffffffffu;
  static constexpr uint32_t kDataBase = 0x80000000u;

  static void Control(std::string* out, int type, size_t size) {
    out->push_back(static_cast<char>(type << 5 | static_cast<int>(size)));  // size < 29 here
  }
  static void Str(std::string* out, const std::string& s) {
    Control(out, 2, s.size());
    *out += s;
  }
  static void Map(std::string* out, size_t pairs) { Control(out, 7, pairs); }
  // uint16 (type 5) / uint32 (type 6): big-endian, minimal length.
  static void Uint(std::string* out, int type, uint32_t v) {
    std::string bytes;
    while (v) {
      bytes.insert(bytes.begin(), static_cast<char>(v & 0xff));
      v >>= 8;
    }
    Control(out, type, bytes.size());
    *out += bytes;
  }
  static void Uint64(std::string* out, uint64_t v) {
    std::string bytes;
    while (v) {
      bytes.insert(bytes.begin(), static_cast<char>(v & 0xff));
      v >>= 8;
    }
    out->push_back(static_cast<char>(bytes.size()));  // extended type 9 = 7 + 2
    out->push_back(static_cast<char>(2));
    *out += bytes;
  }

  uint32_t DataFor(const std::string& country) {
    auto it = offsets_.find(country);
    if (it != offsets_.end()) return it->second;
    uint32_t offset = static_cast<uint32_t>(data_.size());
    Map(&data_, 1);
    if (geolite_) {
      Str(&data_, "country");
      Map(&data_, 1);
      Str(&data_, "iso_code");
    } else {
      Str(&data_, "country_code");
    }
    Str(&data_, country);
    offsets_[country] = offset;
    return offset;
  }

  bool geolite_;
  bool ipv6_;
  std::vector<std::array<uint32_t, 2>> nodes_;
  std::string data_;
  std::map<std::string, uint32_t> offsets_;
};

}  // namespace mailsweep::results::testing

#endif  // MAILSWEEP_TESTS_RESULTS_MMDB_WRITER_H_
