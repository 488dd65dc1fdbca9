#include "results/format/record_codec.h"

#include <cassert>
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

std::string EncodeHeaderChunk(const FileHeader& h) {
  std::string out;
  out.push_back(static_cast<char>(kHeaderChunk));
  out.append(kFileMagic);
  PutFixed32(&out, kFormatVersion);
  PutLengthPrefixed(&out, h.tool_version);
  PutLengthPrefixed(&out, h.scan_id);
  PutFixed64(&out, h.seed);
  PutVarint64(&out, h.shards);
  PutVarint64(&out, h.shard);
  PutVarint64(&out, h.ports.size());
  for (uint16_t p : h.ports) PutVarint64(&out, p);
  PutVarint64(&out, ZigZag(h.start_time_us));
  PutLengthPrefixed(&out, h.command_line);
  return out;
}

absl::StatusOr<FileHeader> DecodeHeaderChunk(std::string_view chunk) {
  Cursor in(chunk);
  uint8_t type;
  std::string_view magic;
  if (!in.Byte(&type) || type != kHeaderChunk || !in.Bytes(kFileMagic.size(), &magic) ||
      magic != kFileMagic) {
    return absl::DataLossError("not a mailsweep record file (no file header)");
  }
  FileHeader h;
  if (!in.Fixed32(&h.format_version)) return absl::DataLossError("file header truncated");
  if (h.format_version == 0) return absl::DataLossError("unsupported format version 0");
  if (h.format_version > kFormatVersion) {
    return absl::UnimplementedError(StrCat("written in format version ", h.format_version,
                                           " by a newer mailsweep; this reader knows up to ",
                                           kFormatVersion));
  }
  std::string_view tool, scan, cmd;
  uint64_t nports, start;
  bool ok = in.LengthPrefixed(&tool) && in.LengthPrefixed(&scan) && in.Fixed64(&h.seed) &&
            in.Varint32(&h.shards) && in.Varint32(&h.shard) && in.Varint64(&nports) &&
            nports <= in.remaining();
  if (ok) {
    h.ports.reserve(nports);
    for (uint64_t i = 0; i < nports && ok; ++i) {
      uint32_t p = 0;
      ok = in.Varint32(&p) && p <= 0xffff;
      h.ports.push_back(static_cast<uint16_t>(p));
    }
  }
  ok = ok && in.Varint64(&start) && in.LengthPrefixed(&cmd);
  if (!ok) return absl::DataLossError("file header malformed");
  // Later minor additions may follow; a reader of this version ignores them.
  h.tool_version = std::string(tool);
  h.scan_id = std::string(scan);
  h.start_time_us = UnZigZag(start);
  h.command_line = std::string(cmd);
  return h;
}

void ToProbeRecord(const ProbeView& v, ProbeRecord* r) {
  r->address = v.address;
  r->port = v.port;
  r->protocol = v.protocol;
  r->tls_mode = v.tls_mode;
  r->outcome = v.outcome;
  r->flags = v.flags;
  r->start_us = v.start_us;
  r->connect_us = v.connect_us;
  r->duration_us = v.duration_us;
  r->banner.assign(v.banner);
  r->capabilities.assign(v.capabilities);
  r->capabilities_tls.assign(v.capabilities_tls);
  r->auth_mechanisms.assign(v.auth_mechanisms);
  r->auth_mechanisms_tls.assign(v.auth_mechanisms_tls);
  r->tls.version = v.tls_version;
  r->tls.cipher.assign(v.tls_cipher);
  r->tls.chain_length = v.chain_length;
  r->tls.failure.assign(v.tls_failure);
  r->tls.leaf.reset();
  r->domain.assign(v.domain);
  r->attempts = v.attempts;
}

// ---- encoder ----

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

// ---- decoder ----

namespace {

// A string field (FORMAT.md): varint 0 = empty, odd = (length << 1 | 1) and the bytes (added to
// the chunk's table), even = (index + 1) << 1 into the table. Returns the byte after it, or
// nullptr when malformed.
// The rarer case, kept out of line: a string's first appearance in its chunk.
__attribute__((noinline)) const char* NewStringPtr(const char* p, const char* end, uint64_t n,
                                                   std::vector<std::string_view>* strings,
                                                   std::string_view* out) {
  if (n > static_cast<uint64_t>(end - p)) return nullptr;
  *out = std::string_view(p, n);
  strings->push_back(*out);
  return p + n;
}
__attribute__((always_inline)) inline const char* StringPtr(const char* p, const char* end,
                                                            std::vector<std::string_view>* strings,
                                                            std::string_view* out) {
  uint64_t v;
  p = VarintPtr(p, end, &v);
  if (p == nullptr) return nullptr;
  if (v == 0) {
    *out = {};
    return p;
  }
  if (v & 1) return NewStringPtr(p, end, v >> 1, strings, out);
  const uint64_t index = (v >> 1) - 1;
  if (index >= strings->size()) return nullptr;
  *out = (*strings)[index];
  return p;
}

struct DecodeState {
  Cursor in;
  std::vector<std::string_view>* strings;
  uint64_t last_time;

  __attribute__((always_inline)) bool String(std::string_view* out) {
    const char* next = StringPtr(in.position(), in.end(), strings, out);
    if (next == nullptr) return false;
    in.Skip(static_cast<size_t>(next - in.position()));
    return true;
  }
};

template <size_t N>
bool Array(Cursor* in, std::array<uint8_t, N>* out) {
  std::string_view b;
  if (!in->Bytes(N, &b)) return false;
  std::memcpy(out->data(), b.data(), N);
  return true;
}

}  // namespace

// The hot record kind in full, in any layout (in versions 1-2 tls_version is among the tail's
// fields). Returns the byte after the record, or nullptr when it is malformed.
template <ProbeLayout kLayout>
const char* ChunkDecoder::DecodeProbeBody(const char* p, const char* end, uint64_t* last_time,
                                          uint64_t bits, ProbeView* out) {
  uint64_t v;
  auto varint = [&](uint64_t max) __attribute__((always_inline)) {
    p = VarintPtr(p, end, &v);
    return p != nullptr && v <= max;
  };
  auto byte = [&](uint8_t * b) __attribute__((always_inline)) {
    if (p == end) return false;
    *b = static_cast<uint8_t>(*p++);
    return true;
  };
  auto string = [&](std::string_view * s) __attribute__((always_inline)) {
    p = StringPtr(p, end, &strings_, s);
    return p != nullptr;
  };
  p = internal::DecodeProbeHead<kLayout>(p, end, last_time, out,
                                         &end);  // the tail must end at `end`
  if (p == nullptr) return nullptr;
  if (!varint(0xffffffffu)) return nullptr;
  out->connect_us = static_cast<uint32_t>(v);
  if (!varint(0xffffffffu)) return nullptr;
  out->duration_us = static_cast<uint32_t>(v);
  if (!string(&out->banner) || !string(&out->capabilities) || !string(&out->capabilities_tls) ||
      !string(&out->auth_mechanisms) || !string(&out->auth_mechanisms_tls)) {
    return nullptr;
  }
  if constexpr (kLayout == ProbeLayout::kLegacy) {
    if (!varint(0xffff)) return nullptr;
    out->tls_version = static_cast<uint16_t>(v);
  }
  if (!string(&out->tls_cipher) || !byte(&out->chain_length) || !string(&out->tls_failure) ||
      !varint(~uint64_t{0})) {
    return nullptr;
  }
  if (v == 0) {
    out->cert_sha256 = nullptr;
  } else if (v == 1) {
    if (end - p < 32) return nullptr;
    out->cert_sha256 = reinterpret_cast<const uint8_t*>(p);
    certs_.push_back(out->cert_sha256);
    p += 32;
  } else {
    const uint64_t index = (v >> 1) - 1;
    if ((v & 1) || index >= certs_.size()) return nullptr;
    out->cert_sha256 = certs_[index];
  }
  out->domain = {};
  if ((bits & kProbeHasDomain) && (!string(&out->domain) || out->domain.empty())) return nullptr;
  out->attempts = 1;
  if (bits & kProbeAttempts) {
    // 1 is never written (the bit is clear instead): one encoding per record.
    if (!varint(255) || v < 2) return nullptr;
    out->attempts = static_cast<uint8_t>(v);
  }
  if (kLayout != ProbeLayout::kLegacy && p != end) return nullptr;
  return p;
}

ChunkDecoder::ChunkDecoder(uint32_t format_version) {
  // The probe record layouts of all versions up to format_version (FORMAT.md 2.2): one of the
  // split and the fixed layout at most, attempts only in the fixed layout and from version 5.
  uint16_t heads = 0;
  for (uint64_t bits = 0; bits < 16; ++bits) {
    const bool split = bits & kProbeSplit, fixed = bits & kProbeFixed;
    if (split && fixed) continue;
    if ((bits & kProbeAttempts) && (!fixed || format_version < 5)) continue;
    heads |= static_cast<uint16_t>(1u << bits);
  }
  probe_heads_ = heads;
}

bool ChunkDecoder::BeginChunk(Cursor* in, uint64_t* last_time, std::string* error) {
  strings_.clear();
  shapes_.clear();
  certs_.clear();
  uint8_t type;
  uint64_t base;
  if (!in->Byte(&type) || type != kRecordsChunk || !in->Varint64(&base)) {
    *error = "records chunk header malformed";
    return false;
  }
  *last_time = static_cast<uint64_t>(UnZigZag(base));
  return true;
}

void ChunkDecoder::Malformed(const char* what, std::string_view chunk, size_t remaining,
                             std::string* error) {
  *error = StrCat(what, " at chunk byte ", chunk.size() - remaining);
}

const char* ChunkDecoder::DecodeSweep(uint64_t head, Cursor* in, uint64_t* last_time,
                                      SweepRecord* out) {
  const Shape* shape;
  if ((head & 3) == kSweepNewShape) {
    if ((head >> 2) != 0) return "bad sweep head";
    uint32_t port;
    uint8_t status, ttl;
    uint16_t window;
    if (!in->Varint32(&port) || port > 0xffff || !in->Byte(&status) || !in->Byte(&ttl) ||
        !in->Fixed16(&window)) {
      return "truncated sweep shape";
    }
    shapes_.push_back({static_cast<uint16_t>(port), static_cast<SweepStatus>(status), ttl, window});
    shape = &shapes_.back();
  } else {
    if ((head >> 2) >= shapes_.size()) return "sweep shape index out of range";
    shape = &shapes_[head >> 2];
  }
  out->port = shape->port;
  out->status = shape->status;
  out->ttl = shape->ttl;
  out->window = shape->window;
  uint64_t step;
  if (!in->Fixed32(&out->address) || !in->Varint64(&step)) return "truncated sweep record";
  *last_time += static_cast<uint64_t>(UnZigZag(step));
  out->time_us = static_cast<int64_t>(*last_time);
  return nullptr;
}

// Instantiated here for DecodeSummaries (defined in the header) in other files.
template const char* ChunkDecoder::DecodeProbeBody<ProbeLayout::kLegacy>(const char*, const char*,
                                                                         uint64_t*, uint64_t,
                                                                         ProbeView*);

namespace {

// Hands summaries to a visitor's OnProbeSummaries in batches, and sweep records, after the
// batch before them, to its OnSweep.
class BatchingHandler {
 public:
  BatchingHandler(RecordVisitor* visitor, std::span<ProbeSummary> buffer)
      : visitor_(visitor), buffer_(buffer) {}
  void OnSweep(const SweepRecord& r) {
    Deliver();
    visitor_->OnSweep(r);
  }
  void OnSummary(const ProbeSummary& s) {
    buffer_[n_] = s;
    if (++n_ == buffer_.size()) Deliver();
  }
  void Deliver() {
    if (n_ == 0) return;
    visitor_->OnProbeSummaries(buffer_.first(n_));
    n_ = 0;
  }

 private:
  RecordVisitor* const visitor_;
  const std::span<ProbeSummary> buffer_;
  size_t n_ = 0;
};

}  // namespace

bool ChunkDecoder::Decode(std::string_view chunk, RecordVisitor* visitor, std::string* error,
                          uint64_t* sweeps, uint64_t* probes, uint64_t* certs) {
  if (visitor->SummaryOnly()) {
    bool ok;
    if (visitor->DecodeSummaryChunk(this, chunk, error, sweeps, probes, certs, &ok)) return ok;
    BatchingHandler handler(visitor, summaries_);
    ok = DecodeSummaries(chunk, handler, error, sweeps, probes, certs);
    handler.Deliver();  // also after a malformed record: the records before it are visited
    return ok;
  }
  DecodeState st{Cursor(chunk), &strings_, 0};
  if (!BeginChunk(&st.in, &st.last_time, error)) return false;
  Counts n;
  auto fail = [&](const char* what) {
    Malformed(what, chunk, st.in.remaining(), error);
    n.AddTo(sweeps, probes, certs);
    return false;
  };
  SweepRecord sweep;
  ProbeView probe;
  while (!st.in.empty()) {
    uint64_t head;
    if (!st.in.Varint64(&head)) return fail("truncated record head");
    switch (head & 3) {
      case kSweepKnownShape:
      case kSweepNewShape: {
        const char* what = DecodeSweep(head, &st.in, &st.last_time, &sweep);
        if (what != nullptr) return fail(what);
        ++n.sweeps;
        visitor->OnSweep(sweep);
        break;
      }
      case kProbe: {
        const uint64_t sub = head >> 2;
        if (!ValidProbeHead(sub)) return fail("bad probe head");
        const char* at = st.in.position();
        const char* end = st.in.end();
        const char* next;
        if (sub & kProbeFixed) {
          next = DecodeProbeBody<ProbeLayout::kFixed>(at, end, &st.last_time, sub, &probe);
        } else if (sub & kProbeSplit) {
          next = DecodeProbeBody<ProbeLayout::kSplit>(at, end, &st.last_time, sub, &probe);
        } else {
          next = DecodeProbeBody<ProbeLayout::kLegacy>(at, end, &st.last_time, sub, &probe);
        }
        if (next == nullptr) return fail("malformed probe record");
        st.in.Skip(static_cast<size_t>(next - at));
        ++n.probes;
        visitor->OnProbe(probe);
        break;
      }
      case kExtended: {
        if ((head >> 2) != kCertificateDef) return fail("unknown extended record kind");
        CertificateFacts c;
        std::string_view s[12];
        uint64_t nb, na, bits;
        uint8_t self_signed;
        std::string_view der;
        bool ok = Array(&st.in, &c.sha256) && Array(&st.in, &c.sha1) && Array(&st.in, &c.md5);
        for (int i = 0; i < 9 && ok; ++i) ok = st.String(&s[i]);
        ok = ok && st.in.Varint64(&nb) && st.in.Varint64(&na) && st.in.Byte(&self_signed) &&
             st.String(&s[9]) && st.in.Varint64(&bits) && bits <= 0xffffffffu &&
             st.String(&s[10]) && st.in.LengthPrefixed(&der);
        if (!ok) return fail("truncated certificate");
        std::string* fields[] = {&c.subject_cn,    &c.subject_o,          &c.subject_ou,
                                 &c.subject_c,     &c.issuer_cn,          &c.issuer_o,
                                 &c.issuer_ou,     &c.issuer_c,           &c.serial_hex,
                                 &c.key_algorithm, &c.signature_algorithm};
        for (int i = 0; i < 11; ++i) fields[i]->assign(s[i]);
        c.not_before = UnZigZag(nb);
        c.not_after = UnZigZag(na);
        c.self_signed = self_signed != 0;
        c.key_bits = static_cast<uint32_t>(bits);
        c.der.assign(der);
        ++n.certs;
        visitor->OnCertificate(c);
        break;
      }
    }
  }
  n.AddTo(sweeps, probes, certs);
  return true;
}

void RecordVisitor::OnProbeSummaries(std::span<const ProbeSummary> batch) {
  ProbeView view;
  for (const ProbeSummary& s : batch) {
    static_cast<ProbeSummary&>(view) = s;
    OnProbe(view);
  }
}

}  // namespace mailsweep::results
