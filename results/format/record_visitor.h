// What decoding a records chunk hands out: a probe record's summary fields (ProbeSummary), a
// probe record as decoded (ProbeView, strings viewing the chunk) and the RecordVisitor that
// receives them. Implemented by readers of record files (the roll-up's reading worker,
// mailsweep-agg dump/info, tests); called by ChunkDecoder (chunk_decoder.h) on its decoding
// thread.
//
// Example:
//   struct Count : RecordVisitor {
//     uint64_t n = 0;
//     void OnProbe(const ProbeView& v) override { n += v.port == 110; }
//   };
#ifndef MAILSWEEP_RESULTS_FORMAT_RECORD_VISITOR_H_
#define MAILSWEEP_RESULTS_FORMAT_RECORD_VISITOR_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "results/format/records.h"

namespace mailsweep::results {

// The summary fields of a probe record: what a roll-up needs, and what a visitor that asks for
// summaries only (RecordVisitor::SummaryOnly) gets, in batches.
struct ProbeSummary {
  uint32_t address = 0;
  uint16_t port = 0;
  Protocol protocol = Protocol::kUnknown;
  TlsMode tls_mode = TlsMode::kStartTls;
  ProbeOutcome outcome = ProbeOutcome::kNoGreeting;
  uint16_t tls_version = 0;
  uint32_t flags = 0;
  int64_t start_us = 0;
};

// A probe record as decoded: strings view into the chunk, valid during the visitor call.
struct ProbeView : ProbeSummary {
  uint32_t connect_us = 0;
  uint32_t duration_us = 0;
  std::string_view banner, capabilities, capabilities_tls, auth_mechanisms, auth_mechanisms_tls;
  std::string_view tls_cipher;
  uint8_t chain_length = 0;
  std::string_view tls_failure;
  const uint8_t* cert_sha256 = nullptr;  // 32 bytes, or nullptr when there is no leaf
  std::string_view domain;
  uint8_t attempts = 1;
};

// Copies a view into a record; tls.leaf is left empty (the caller resolves cert_sha256).
void ToProbeRecord(const ProbeView& view, ProbeRecord* out);

class ChunkDecoder;  // chunk_decoder.h

// Receives decoded records. Called on the decoding thread.
class RecordVisitor {
 public:
  virtual ~RecordVisitor() = default;
  virtual void OnSweep(const SweepRecord& /*record*/) {}
  virtual void OnProbe(const ProbeView& /*record*/) {}
  virtual void OnCertificate(const CertificateFacts& /*cert*/) {}
  // True when probe summaries (ProbeSummary) are all the visitor needs. The decoder then skips
  // the tails of version 3 probe records and whole certificate definitions (OnCertificate is
  // not called) without decoding them, so a malformed tail goes unnoticed (the chunk's CRC still
  // guards against damage), and hands the summaries to OnProbeSummaries instead of OnProbe.
  // Asked once per chunk.
  virtual bool SummaryOnly() const { return false; }
  // With SummaryOnly(): the probe records' summaries, in file order, up to kSummaryBatch at a
  // time (a loop in one call instead of a virtual call per record). A batch is delivered before
  // the next sweep record's OnSweep, so the order of all records is kept. The default passes
  // each on to OnProbe as a ProbeView whose other fields are empty.
  static constexpr size_t kSummaryBatch = 256;
  virtual void OnProbeSummaries(std::span<const ProbeSummary> batch);
  // With SummaryOnly(): a visitor may decode each records chunk itself, with
  // decoder->DecodeSummaries and a handler of its own whose per-record code the compiler
  // inlines into the decoding loop (see "Summary decoding" in chunk_decoder.h). It then returns
  // true and sets *ok as ChunkDecoder::Decode would return. The default returns false: the
  // decoder decodes and calls OnProbeSummaries.
  virtual bool DecodeSummaryChunk(ChunkDecoder* /*decoder*/, std::string_view /*chunk*/,
                                  std::string* /*error*/, uint64_t* /*sweeps*/,
                                  uint64_t* /*probes*/, uint64_t* /*certs*/, bool* /*ok*/) {
    return false;
  }
};

}  // namespace mailsweep::results

#endif  // MAILSWEEP_RESULTS_FORMAT_RECORD_VISITOR_H_
