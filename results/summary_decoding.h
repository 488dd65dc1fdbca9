// Decoding of records chunks for visitors that need the probe records' summaries only
// (RecordVisitor::SummaryOnly), with the caller's per-record code inlined into the decoding
// loop: ChunkDecoder::DecodeSummaries<Handler> calls handler.OnSummary(summary) per probe record
// and handler.OnSweep(record) per sweep record, so a summary's fields go from the chunk's
// bytes to the handler's code in registers, without a batch of ProbeSummary structs in memory
// between the two (in the roll-up's reading phase that saved 25 of ~170 instructions per
// record, though only ~3% of the time).
// ChunkDecoder::Decode uses it too, with a handler that batches for
// RecordVisitor::OnProbeSummaries. Include it only where a handler is instantiated
// (results/record_codec.cc, results/aggregator.cc). No I/O; one thread per decoder.
//
// Example:
//   struct Counter {
//     uint64_t n = 0;
//     void OnSweep(const SweepRecord&) {}
//     void OnSummary(const ProbeSummary& s) { n += s.port == 110; }
//   };
//   Counter c;
//   bool ok = decoder.DecodeSummaries(chunk, c, &error, &sweeps, &probes, &certs);
#ifndef MAILSWEEP_RESULTS_SUMMARY_DECODING_H_
#define MAILSWEEP_RESULTS_SUMMARY_DECODING_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "results/coding.h"
#include "results/record_codec.h"

namespace mailsweep::results {
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

#endif  // MAILSWEEP_RESULTS_SUMMARY_DECODING_H_
