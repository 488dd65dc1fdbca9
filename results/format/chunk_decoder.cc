#include "results/format/chunk_decoder.h"

#include <cassert>
#include <cstring>

#include "base/strings.h"

namespace mailsweep::results {

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

}  // namespace mailsweep::results
