// Country lookup for the aggregator: MaxMind DB files (GeoLite2-Country, DB-IP, ip-location-db's
// geo-whois-asn-country), read once through libmaxminddb into a table of IPv4 ranges, or CSV
// range files `first_ip,last_ip,country` (ip-location-db's format, and what the lab writes for
// 198.18.0.0/15). Lookups are a search in memory (with an index by /16 for large tables). IPv4
// only. Unknown addresses are "ZZ".
//
// Thread rules: Open on one thread; Country() is const and thread-safe afterwards.
//
// Example:
//   MAILSWEEP_ASSIGN_OR_RETURN(auto geo, GeoDb::Open("lab-geo.csv"));
//   CountryCode cc = geo->Country(0xc6120001);   // "US"
#ifndef MAILSWEEP_RESULTS_AGG_GEO_H_
#define MAILSWEEP_RESULTS_AGG_GEO_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mailsweep::results {

// Two upper-case letters; "ZZ" is unknown.
struct CountryCode {
  std::array<char, 2> c{'Z', 'Z'};
  std::string_view view() const { return {c.data(), 2}; }
  uint16_t key() const {
    return static_cast<uint16_t>(static_cast<uint8_t>(c[0]) << 8 | static_cast<uint8_t>(c[1]));
  }
  static CountryCode FromKey(uint16_t k) {
    return {{static_cast<char>(k >> 8), static_cast<char>(k)}};
  }
  static CountryCode From(std::string_view s);  // "ZZ" unless two ASCII letters
  friend bool operator==(const CountryCode&, const CountryCode&) = default;
};

class GeoDb {
 public:
  virtual ~GeoDb() = default;
  // A file ending in ".mmdb" is a MaxMind DB; anything else is a CSV range file.
  // kNotFound / kInvalidArgument (line named) on errors.
  static absl::StatusOr<std::unique_ptr<GeoDb>> Open(const std::string& path);
  static absl::StatusOr<std::unique_ptr<GeoDb>> OpenCsv(const std::string& path);
  static absl::StatusOr<std::unique_ptr<GeoDb>> OpenMmdb(const std::string& path);
  // Parses CSV text (tests).
  static absl::StatusOr<std::unique_ptr<GeoDb>> FromCsvText(std::string_view text,
                                                            std::string_view name = "csv");
  // No database: everything is "ZZ".
  static std::unique_ptr<GeoDb> Unknown();

  virtual CountryCode Country(uint32_t address) const = 0;
  virtual std::string Describe() const = 0;
};

// Autonomous system numbers the same way: MaxMind DB files with `autonomous_system_number`
// (GeoLite2-ASN, ip-location-db's asn databases) or CSV ranges `first_ip,last_ip,asn[,...]`
// (ip-location-db's asn CSV; an "AS" prefix is accepted). Unknown is 0. Same thread rules.
class AsnDb {
 public:
  virtual ~AsnDb() = default;
  static absl::StatusOr<std::unique_ptr<AsnDb>> Open(const std::string& path);
  static absl::StatusOr<std::unique_ptr<AsnDb>> FromCsvText(std::string_view text,
                                                            std::string_view name = "csv");
  virtual uint32_t Asn(uint32_t address) const = 0;
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_AGG_GEO_H_
