#include "tests/lab/lab_model.h"

#include <algorithm>
#include <cmath>

namespace mailsweep::lab {
namespace {

constexpr uint64_t kLabDomain = 0x4c41'4232'3031'3500;  // "LAB2015"

// Published shares (ShadowServer/Rapid7-like), the rest is "others" spread over small codes.
struct CountryShare {
  const char* code;
  double share;
};
constexpr CountryShare kCountries[] = {
    {"US", 0.30}, {"DE", 0.15},  {"PL", 0.10},  {"JP", 0.08}, {"FR", 0.07}, {"GB", 0.05},
    {"NL", 0.04}, {"RU", 0.04},  {"IT", 0.03},  {"CN", 0.03}, {"CA", 0.02}, {"BR", 0.02},
    {"ES", 0.02}, {"CZ", 0.015}, {"AU", 0.015}, {"SE", 0.01}, {"CH", 0.01}, {"KR", 0.01},
};

}  // namespace

const char* ProfileName(int profile) {
  static const char* const kNames[] = {"starttls", "plain", "implicit", "legacy",
                                       "slow",     "busy",  "down"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == kProfiles);
  return profile >= 0 && profile < kProfiles ? kNames[profile] : "none";
}

const std::vector<uint16_t>& ProfilePorts(int profile) {
  static const std::vector<uint16_t> kAll = {25, 110, 143, 465, 587, 993, 995};
  static const std::vector<uint16_t> kPlain = {25, 110, 143, 587};
  static const std::vector<uint16_t> kImplicit = {465, 993, 995};
  static const std::vector<uint16_t> kSmtp = {25, 587};
  static const std::vector<uint16_t> kNone;
  switch (profile) {
    case 0:
    case 3:
      return kAll;
    case 1:
    case 4:  // slow
    case 6:  // down
      return kPlain;
    case 2:
      return kImplicit;
    case 5:  // busy
      return kSmtp;
    default:
      return kNone;
  }
}

LabModel::LabModel(const LabParams& params)
    : params_(params), key_(SipKey::FromSeed(params.seed, kLabDomain)) {}

double LabModel::Unit(uint32_t address, uint64_t what) const {
  return static_cast<double>(SipHash24Words(key_, address, what) >> 11) * 0x1p-53;
}

HostClass LabModel::Classify(uint32_t address) const {
  if (address - kLabFirst >= kLabCount) return {};
  const double u = Unit(address, 1);
  if (u < params_.mail_share) {
    const double v = Unit(address, 2);
    double cumulative = 0;
    int last = 0;  // the last profile with a share: where rounding past the sum lands
    for (int k = 0; k < kProfiles; ++k) {
      if (params_.profile_share[k] <= 0) continue;
      cumulative += params_.profile_share[k];
      last = k;
      if (v < cumulative) return {HostKind::kMail, k};
    }
    return {HostKind::kMail, last};
  }
  if (u < params_.mail_share + params_.closed_share) return {HostKind::kClosed, -1};
  if (u < params_.mail_share + params_.closed_share + params_.unreachable_share) {
    return {HostKind::kUnreachable, -1};
  }
  return {};
}

bool LabModel::PairClosed(uint32_t address, uint16_t port) const {
  return Unit(address, 0x10000 | port) < params_.pair_closed;
}

char LabModel::Answer(uint32_t address, uint16_t port) const {
  const HostClass c = Classify(address);
  switch (c.kind) {
    case HostKind::kDark:
      return 0;
    case HostKind::kClosed:
      return 'c';
    case HostKind::kUnreachable:
      return 'u';
    case HostKind::kMail: {
      const auto& ports = ProfilePorts(c.profile);
      const bool served = std::find(ports.begin(), ports.end(), port) != ports.end();
      return served && !PairClosed(address, port) ? 'o' : 'c';
    }
  }
  return 0;
}

std::vector<LabModel::GeoBlock> LabModel::Geo() const {
  // Order the /24s by a keyed hash, hand out runs in proportion, then sort back by address.
  const uint32_t blocks = kLabCount / 256;
  std::vector<std::pair<uint64_t, uint32_t>> order;
  for (uint32_t b = 0; b < blocks; ++b) {
    order.push_back({SipHash24Words(key_, b, 0x6e0), b});
  }
  std::sort(order.begin(), order.end());
  std::vector<std::string> country(blocks, "ZZ");
  size_t next = 0;
  double cumulative = 0;
  for (const auto& c : kCountries) {
    cumulative += c.share;
    // Countries take `share` of the blocks; what the table leaves is "ZZ" (others).
    const size_t end = static_cast<size_t>(std::llround(cumulative * blocks));
    for (; next < end && next < order.size(); ++next) country[order[next].second] = c.code;
  }
  std::vector<GeoBlock> out;
  for (uint32_t b = 0; b < blocks; ++b) {
    const uint32_t first = kLabFirst + b * 256;
    if (!out.empty() && out.back().country == country[b] && out.back().last + 1 == first) {
      out.back().last = first + 255;
    } else {
      out.push_back({first, first + 255, country[b]});
    }
  }
  return out;
}

}  // namespace mailsweep::lab
