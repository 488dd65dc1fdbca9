#include "results/format/chunk_encoder.h"

#include <cstring>

#include "base/strings.h"
#include "results/format/coding.h"

namespace mailsweep::results {
namespace {

// Bounds the per-thread set of certificates already written; when full it starts over, so a
// certificate is then written again (still correct, only larger).
constexpr size_t kMaxCertsRemembered = 1 << 16;

uint64_t ShapeKey(uint16_t port, SweepStatus status, uint8_t ttl, uint16_t window) {
  return uint64_t{port} | uint64_t{static_cast<uint8_t>(status)} << 16 | uint64_t{ttl} << 24 |
         uint64_t{window} << 32;
}

}  // namespace

void ChunkEncoder::Reset() {
  buf_.clear();
  records_ = 0;
  strings_.clear();
  shapes_.clear();
  chunk_certs_.clear();
}

void ChunkEncoder::Begin(int64_t time_us) {
  buf_.push_back(static_cast<char>(kRecordsChunk));
  PutVarint64(&buf_, ZigZag(time_us));
  last_time_us_ = time_us;
}

uint64_t ChunkEncoder::TimeStep(int64_t time_us) {
  // Wrapping arithmetic: any int64 pair round-trips.
  uint64_t delta = static_cast<uint64_t>(time_us) - static_cast<uint64_t>(last_time_us_);
  last_time_us_ = time_us;
  return ZigZag(static_cast<int64_t>(delta));
}

void ChunkEncoder::PutString(std::string_view s) {
  if (s.empty()) {
    buf_.push_back(0);
    return;
  }
  auto it = strings_.find(ToAbsl(s));
  if (it != strings_.end()) {
    PutVarint64(&buf_, (uint64_t{it->second} + 1) << 1);
    return;
  }
  PutVarint64(&buf_, (uint64_t{s.size()} << 1) | 1);
  buf_.append(s);
  uint32_t index = static_cast<uint32_t>(strings_.size());
  strings_.emplace(std::string(s), index);
}

void ChunkEncoder::Add(const SweepRecord& r) {
  if (records_ == 0) Begin(r.time_us);
  ++records_;
  uint64_t key = ShapeKey(r.port, r.status, r.ttl, r.window);
  auto it = shapes_.find(key);
  if (it != shapes_.end()) {
    PutVarint64(&buf_, (uint64_t{it->second} << 2) | kSweepKnownShape);
  } else {
    buf_.push_back(static_cast<char>(kSweepNewShape));
    PutVarint64(&buf_, r.port);
    buf_.push_back(static_cast<char>(r.status));
    buf_.push_back(static_cast<char>(r.ttl));
    PutFixed16(&buf_, r.window);
    shapes_.emplace(key, static_cast<uint32_t>(shapes_.size()));
  }
  PutFixed32(&buf_, r.address);
  PutVarint64(&buf_, TimeStep(r.time_us));
}

void ChunkEncoder::Add(const ProbeRecord& r) {
  if (records_ == 0) Begin(r.start_us);
  ++records_;
  std::string sha;
  if (r.tls.leaf) {
    const CertificateFacts& c = *r.tls.leaf;
    sha.assign(reinterpret_cast<const char*>(c.sha256.data()), c.sha256.size());
    if (!certs_written_.contains(sha)) {
      if (certs_written_.size() >= kMaxCertsRemembered) certs_written_.clear();
      certs_written_.insert(sha);
      PutVarint64(&buf_, (uint64_t{kCertificateDef} << 2) | kExtended);
      buf_.append(sha);
      buf_.append(reinterpret_cast<const char*>(c.sha1.data()), c.sha1.size());
      buf_.append(reinterpret_cast<const char*>(c.md5.data()), c.md5.size());
      for (const std::string* s :
           {&c.subject_cn, &c.subject_o, &c.subject_ou, &c.subject_c, &c.issuer_cn, &c.issuer_o,
            &c.issuer_ou, &c.issuer_c, &c.serial_hex}) {
        PutString(*s);
      }
      PutVarint64(&buf_, ZigZag(c.not_before));
      PutVarint64(&buf_, ZigZag(c.not_after));
      buf_.push_back(c.self_signed ? 1 : 0);
      PutString(c.key_algorithm);
      PutVarint64(&buf_, c.key_bits);
      PutString(c.signature_algorithm);
      PutLengthPrefixed(&buf_, c.der);
    }
  }
  // Every record takes at least one connection (records.h); a 0 would make the record
  // malformed, so it is written as 1.
  assert(r.attempts >= 1);
  const uint8_t attempts = r.attempts == 0 ? 1 : r.attempts;
  // The fixed-width summary (FORMAT.md 2.2), with escapes for the rare values that do not fit:
  // their full values open the rest.
  PutVarint64(&buf_, ((kProbeFixed | (r.domain.empty() ? 0 : kProbeHasDomain) |
                       (attempts == 1 ? 0 : kProbeAttempts))
                      << 2) |
                         kProbe);
  PutFixed32(&buf_, r.address);
  PutFixed16(&buf_, r.port);
  buf_.push_back(static_cast<char>(r.protocol));
  buf_.push_back(static_cast<char>(r.tls_mode));
  buf_.push_back(static_cast<char>(r.outcome));
  PutFixed16(&buf_, r.tls.version);
  const bool long_flags = r.flags >= 0xffff;
  PutFixed16(&buf_, long_flags ? 0xffff : static_cast<uint16_t>(r.flags));
  const uint64_t time_step = TimeStep(r.start_us);
  const bool long_time_step = time_step >= 0xffffffffu;
  PutFixed32(&buf_, long_time_step ? 0xffffffffu : static_cast<uint32_t>(time_step));
  // The rest's length, patched below (widened in the rare case of 64 KiB or more).
  const size_t length_at = buf_.size();
  PutFixed16(&buf_, 0);
  if (long_flags) PutVarint64(&buf_, r.flags);
  if (long_time_step) PutVarint64(&buf_, time_step);
  PutVarint64(&buf_, r.connect_us);
  PutVarint64(&buf_, r.duration_us);
  PutString(r.banner);
  PutString(r.capabilities);
  PutString(r.capabilities_tls);
  PutString(r.auth_mechanisms);
  PutString(r.auth_mechanisms_tls);
  PutString(r.tls.cipher);
  buf_.push_back(static_cast<char>(r.tls.chain_length));
  PutString(r.tls.failure);
  if (!r.tls.leaf) {
    buf_.push_back(0);
  } else if (auto it = chunk_certs_.find(sha); it != chunk_certs_.end()) {
    PutVarint64(&buf_, (uint64_t{it->second} + 1) << 1);
  } else {
    buf_.push_back(1);
    buf_.append(sha);
    chunk_certs_.emplace(std::move(sha), static_cast<uint32_t>(chunk_certs_.size()));
  }
  if (!r.domain.empty()) PutString(r.domain);
  if (attempts != 1) PutVarint64(&buf_, attempts);
  const size_t rest = buf_.size() - length_at - 2;
  if (rest < 0xffff) {
    EncodeFixed16(&buf_[length_at], static_cast<uint16_t>(rest));
  } else {
    EncodeFixed16(&buf_[length_at], 0xffff);
    std::string length;
    PutVarint64(&length, rest);
    buf_.insert(length_at + 2, length);
  }
}

}  // namespace mailsweep::results
