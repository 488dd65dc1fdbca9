// Decodes records chunks (results/format/FORMAT.md, section Chunks) of any format version from 1
// to kFormatVersion, and the three probe record layouts (versions 1-2, 3 and 4-5), handing the
// records to a RecordVisitor (record_visitor.h), or only the probe records' summaries to a
// handler whose code is inlined into the decoding loop (DecodeSummaries). A malformed record
// ends the chunk with an error that says what and where. Used by one reader thread per decoder
// (RecordFileReader, record_reader.h; the roll-up's reading worker). No I/O.
//
// Example:
//   ChunkDecoder dec(header.format_version);
//   std::string error;
//   if (!dec.Decode(chunk, &visitor, &error)) report(error);
#ifndef MAILSWEEP_RESULTS_FORMAT_CHUNK_DECODER_H_
#define MAILSWEEP_RESULTS_FORMAT_CHUNK_DECODER_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "results/format/chunk_format.h"
#include "results/format/coding.h"
#include "results/format/record_visitor.h"
#include "results/format/records.h"

namespace mailsweep::results {

class ChunkDecoder {
 public:
  // Decodes chunks of a file of `format_version` (FileHeader::format_version, 1 to
  // kFormatVersion): a record that version cannot hold is malformed.
  explicit ChunkDecoder(uint32_t format_version = kFormatVersion);

  // Decodes one chunk of type kRecordsChunk, calling `visitor` per record. Returns false at the
  // first malformed record with `*error` saying what and where; records before it were visited.
  // Counts are added to the three counters when non-null.
  bool Decode(std::string_view chunk, RecordVisitor* visitor, std::string* error,
              uint64_t* sweeps = nullptr, uint64_t* probes = nullptr, uint64_t* certs = nullptr);
  // The same for a summary-only consumer, calling handler.OnSweep(const SweepRecord&) per sweep
  // record and handler.OnSummary(const ProbeSummary&) per probe record; certificates are
  // skipped. Defined below ("Summary decoding").
  template <typename Handler>
  bool DecodeSummaries(std::string_view chunk, Handler& handler, std::string* error,
                       uint64_t* sweeps = nullptr, uint64_t* probes = nullptr,
                       uint64_t* certs = nullptr);

 private:
  // Records decoded from one chunk so far; added to the caller's counters when decoding ends.
  struct Counts {
    uint64_t sweeps = 0, probes = 0, certs = 0;
    void AddTo(uint64_t* s, uint64_t* p, uint64_t* c) const {
      if (s) *s += sweeps;
      if (p) *p += probes;
      if (c) *c += certs;
    }
  };
  // Empties the chunk's tables and reads the chunk's type and base time.
  bool BeginChunk(Cursor* in, uint64_t* last_time, std::string* error);
  // Says in *error what is malformed where: `remaining` bytes before the end of the chunk.
  static void Malformed(const char* what, std::string_view chunk, size_t remaining,
                        std::string* error);
  // A sweep record after its head; returns what is wrong, or nullptr.
  const char* DecodeSweep(uint64_t head, Cursor* in, uint64_t* last_time, SweepRecord* out);
  // Whether (head >> 2) of a probe record is valid in this decoder's format version.
  bool ValidProbeHead(uint64_t bits) const { return bits < 16 && (probe_heads_ >> bits & 1); }
  // `bits` is (head >> 2), already valid.
  template <ProbeLayout kLayout>
  const char* DecodeProbeBody(const char* p, const char* end, uint64_t* last_time, uint64_t bits,
                              ProbeView* out);

  // Bit b set: (head >> 2) = b is a valid probe record head (b < 16).
  uint16_t probe_heads_;

  struct Shape {
    uint16_t port;
    SweepStatus status;
    uint8_t ttl;
    uint16_t window;
  };
  std::vector<std::string_view> strings_;
  std::vector<Shape> shapes_;
  std::vector<const uint8_t*> certs_;
  std::array<ProbeSummary, RecordVisitor::kSummaryBatch> summaries_;
};

// Summary decoding, for visitors that need the probe records' summaries only
// (RecordVisitor::SummaryOnly), with the caller's per-record code inlined into the decoding
// loop: DecodeSummaries<Handler> calls handler.OnSummary(summary) per probe record and
// handler.OnSweep(record) per sweep record, so a summary's fields go from the chunk's bytes to
// the handler's code in registers, without a batch of ProbeSummary structs in memory between the
// two (in the roll-up's reading phase that saved 25 of ~170 instructions per record, though only
// ~3% of the time). Decode uses it too, with a handler that batches for
// RecordVisitor::OnProbeSummaries.
//
// Example:
//   struct Counter {
//     uint64_t n = 0;
//     void OnSweep(const SweepRecord&) {}
//     void OnSummary(const ProbeSummary& s) { n += s.port == 110; }
//   };
//   Counter c;
//   bool ok = decoder.DecodeSummaries(chunk, c, &error, &sweeps, &probes, &certs);
namespace internal {

// A probe record's summary, with the position in a register: for versions 1-2 (kLegacy) the
// fields up to the time, for version 3 (kSplit) those, the TLS version and the tail length, for
// versions 4-5 (kFixed) the fixed-width fields and the escaped values that open the rest.
// Returns the byte after them, or nullptr when they are malformed; *tail_end is the end of a
// split record's tail or of a fixed record's rest. In the fixed layout where a record ends does
// not depend on the values of varints, so consecutive records decode without waiting on each
// other, and the common case takes no branch that depends on the data.
template <ProbeLayout kLayout>
__attribute__((always_inline)) inline const char* DecodeProbeHead(const char* p, const char* end,
                                                                  uint64_t* last_time,
                                                                  ProbeSummary* out,
                                                                  const char** tail_end) {
  uint64_t v;
  auto varint = [&](uint64_t max) __attribute__((always_inline)) {
    p = VarintPtr(p, end, &v);
    return p != nullptr && v <= max;
  };
  if constexpr (kLayout == ProbeLayout::kFixed) {
    constexpr ptrdiff_t kFixedBytes = 4 + 2 + 3 + 2 + 2 + 4 + 2;
    if (end - p < kFixedBytes) return nullptr;
    out->address = DecodeFixed32(p);
    out->port = DecodeFixed16(p + 4);
    out->protocol = static_cast<Protocol>(static_cast<uint8_t>(p[6]));
    out->tls_mode = static_cast<TlsMode>(static_cast<uint8_t>(p[7]));
    out->outcome = static_cast<ProbeOutcome>(static_cast<uint8_t>(p[8]));
    out->tls_version = DecodeFixed16(p + 9);
    const uint16_t flags = DecodeFixed16(p + 11);
    const uint32_t time_step = DecodeFixed32(p + 13);
    uint64_t rest = DecodeFixed16(p + 17);
    p += kFixedBytes;
    if (rest == 0xffff) {
      if (!varint(~uint64_t{0})) return nullptr;
      rest = v;
    }
    if (rest > static_cast<uint64_t>(end - p)) return nullptr;
    end = p + rest;  // the escaped values lie inside the rest
    *tail_end = end;
    out->flags = flags;
    if (flags == 0xffff) {
      if (!varint(0xffffffffu)) return nullptr;
      out->flags = static_cast<uint32_t>(v);
    }
    v = time_step;
    if (time_step == 0xffffffffu && !varint(~uint64_t{0})) return nullptr;
    *last_time += static_cast<uint64_t>(UnZigZag(v));
    out->start_us = static_cast<int64_t>(*last_time);
    return p;
  } else {
    auto byte = [&](uint8_t * b) __attribute__((always_inline)) {
      if (p == end) return false;
      *b = static_cast<uint8_t>(*p++);
      return true;
    };
    if (end - p < 4) return nullptr;
    out->address = DecodeFixed32(p);
    p += 4;
    uint8_t protocol, mode, outcome;
    if (!varint(0xffff)) return nullptr;
    out->port = static_cast<uint16_t>(v);
    if (!byte(&protocol) || !byte(&mode) || !byte(&outcome) || !varint(0xffffffffu)) {
      return nullptr;
    }
    out->protocol = static_cast<Protocol>(protocol);
    out->tls_mode = static_cast<TlsMode>(mode);
    out->outcome = static_cast<ProbeOutcome>(outcome);
    out->flags = static_cast<uint32_t>(v);
    if (!varint(~uint64_t{0})) return nullptr;
    *last_time += static_cast<uint64_t>(UnZigZag(v));
    out->start_us = static_cast<int64_t>(*last_time);
    if constexpr (kLayout == ProbeLayout::kSplit) {
      if (!varint(0xffff)) return nullptr;
      out->tls_version = static_cast<uint16_t>(v);
      if (!varint(~uint64_t{0}) || v > static_cast<uint64_t>(end - p)) return nullptr;
      *tail_end = p + v;
    }
    return p;
  }
}

// A version 3 or 4-5 probe record's summary; the rest (with the attempts) is skipped.
template <ProbeLayout kLayout>
inline const char* DecodeSummary(const char* p, const char* end, uint64_t* last_time,
                                 ProbeSummary* out) {
  const char* tail_end;
  return DecodeProbeHead<kLayout>(p, end, last_time, out, &tail_end) ? tail_end : nullptr;
}

// Steps over a certificate definition without decoding it (a summary-only visitor): its dstr
// fields are only measured, since the string table is not kept. Returns false when truncated.
inline bool SkipCertificate(Cursor* in) {
  std::string_view skipped;
  if (!in->Bytes(32 + 20 + 16, &skipped)) return false;
  auto dstr = [&] {
    uint64_t v;
    return in->Varint64(&v) && ((v & 1) == 0 || in->Bytes(v >> 1, &skipped));
  };
  uint64_t v;
  uint8_t b;
  for (int i = 0; i < 9; ++i) {
    if (!dstr()) return false;
  }
  return in->Varint64(&v) && in->Varint64(&v) && in->Byte(&b) && dstr() && in->Varint64(&v) &&
         dstr() && in->LengthPrefixed(&skipped);
}

}  // namespace internal

template <typename Handler>
bool ChunkDecoder::DecodeSummaries(std::string_view chunk, Handler& handler, std::string* error,
                                   uint64_t* sweeps, uint64_t* probes, uint64_t* certs) {
  Cursor in(chunk);
  uint64_t last_time;
  if (!BeginChunk(&in, &last_time, error)) return false;
  Counts n;
  auto fail = [&](const char* what) {
    Malformed(what, chunk, in.remaining(), error);
    n.AddTo(sweeps, probes, certs);
    return false;
  };
  SweepRecord sweep;
  ProbeView probe;
  while (!in.empty()) {
    // The common record first: a probe record in the fixed layout without a domain (a one-byte
    // head) whose fixed fields escape nothing. It decodes with one bounds check, its position in
    // a register; anything else, and any record that does not fit, takes the general path below,
    // which reports it exactly as before. The fields are DecodeProbeHead<kFixed>'s, read here
    // again: calling it instead cost 8 more instructions a record (its escapes' branches), and
    // the tests hold both to the full decoder. A record with attempts (where the version allows
    // them) is the same record with its attempts in the skipped rest, so it decodes here too;
    // its head is tested only when the common head does not match. That costs at most 1
    // instruction a record (none in the roll-up's loop); a mask over both heads cost 2, and
    // leaving such records to the general path ~48 each.
    {
      constexpr uint8_t kFixedHead = kProbe | kProbeFixed << 2;
      static_assert((kFixedHead | kProbeAttempts << 2) < 0x80, "a one-byte head");
      // Where the version has no attempts, kFixedHead again, which has been tested.
      const uint8_t attempts_head = ValidProbeHead(kProbeFixed | kProbeAttempts)
                                        ? uint8_t{kFixedHead | kProbeAttempts << 2}
                                        : kFixedHead;
      constexpr ptrdiff_t kBytes = 1 + 4 + 2 + 3 + 2 + 2 + 4 + 2;
      const char* p = in.position();
      const char* const end = in.end();
      uint64_t time = last_time, fast_probes = 0;  // in registers: stores cannot alias them
      while (end - p >= kBytes) {
        if (__builtin_expect(static_cast<uint8_t>(*p) != kFixedHead, 0) &&
            static_cast<uint8_t>(*p) != attempts_head) {
          break;
        }
        const uint16_t flags = DecodeFixed16(p + 12);
        const uint32_t time_step = DecodeFixed32(p + 14);
        const uint16_t rest = DecodeFixed16(p + 18);
        if (flags == 0xffff || time_step == 0xffffffffu || rest == 0xffff ||
            rest > end - p - kBytes) {
          break;
        }
        ProbeSummary summary;
        summary.address = DecodeFixed32(p + 1);
        summary.port = DecodeFixed16(p + 5);
        summary.protocol = static_cast<Protocol>(static_cast<uint8_t>(p[7]));
        summary.tls_mode = static_cast<TlsMode>(static_cast<uint8_t>(p[8]));
        summary.outcome = static_cast<ProbeOutcome>(static_cast<uint8_t>(p[9]));
        summary.tls_version = DecodeFixed16(p + 10);
        summary.flags = flags;
        time += static_cast<uint64_t>(UnZigZag(time_step));
        summary.start_us = static_cast<int64_t>(time);
        p += kBytes + rest;
        ++fast_probes;
        handler.OnSummary(summary);
      }
      last_time = time;
      n.probes += fast_probes;
      in.Skip(static_cast<size_t>(p - in.position()));
      if (in.empty()) break;
    }
    uint64_t head;
    if (!in.Varint64(&head)) return fail("truncated record head");
    switch (head & 3) {
      case kSweepKnownShape:
      case kSweepNewShape: {
        const char* what = DecodeSweep(head, &in, &last_time, &sweep);
        if (what != nullptr) return fail(what);
        ++n.sweeps;
        handler.OnSweep(sweep);
        break;
      }
      case kProbe: {
        const uint64_t sub = head >> 2;
        if (!ValidProbeHead(sub)) return fail("bad probe head");
        const char* at = in.position();
        const char* end = in.end();
        const char* next;
        ProbeSummary summary;
        if (sub & kProbeFixed) {
          next = internal::DecodeSummary<ProbeLayout::kFixed>(at, end, &last_time, &summary);
        } else if (sub & kProbeSplit) {
          next = internal::DecodeSummary<ProbeLayout::kSplit>(at, end, &last_time, &summary);
        } else {  // versions 1-2: no summary to skip to, the record decodes whole
          next = DecodeProbeBody<ProbeLayout::kLegacy>(at, end, &last_time, sub, &probe);
          summary = probe;
        }
        if (next == nullptr) return fail("malformed probe record");
        in.Skip(static_cast<size_t>(next - at));
        ++n.probes;
        handler.OnSummary(summary);
        break;
      }
      case kExtended: {
        if ((head >> 2) != kCertificateDef) return fail("unknown extended record kind");
        if (!internal::SkipCertificate(&in)) return fail("truncated certificate");
        ++n.certs;
        break;
      }
    }
  }
  n.AddTo(sweeps, probes, certs);
  return true;
}

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_CHUNK_DECODER_H_
